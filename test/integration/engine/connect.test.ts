// connectEngine() for the bundled engine: starts `tscompose engine` in the background when the socket
// does not answer, only once for concurrent CLIs (lock file), and reuses the running one.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import path from 'node:path';
import { connectEngine } from '../../../src/client/connect.js';

const root = mkdtempSync('/tmp/tsc-eng-connect-');
const env = { TSCOMPOSE_STATE_ROOT: path.join(root, 'state'), TSCOMPOSE_ENGINE_SOCKET: path.join(root, 'engine.sock') };

function enginePids(): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        return argv.includes('engine') && argv.includes(env.TSCOMPOSE_ENGINE_SOCKET);
      } catch {
        return false;
      }
    })
    .map(Number);
}

after(async () => {
  for (const pid of enginePids()) process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && enginePids().length; i++) await new Promise((r) => setTimeout(r, 100));
  rmSync(root, { recursive: true, force: true });
});

test('two concurrent connects start one engine in the background, then it is reused', async () => {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  delete process.env.DOCKER_HOST;
  try {
    const [a, b] = await Promise.all([connectEngine({ engine: 'bundled' }), connectEngine({ engine: 'bundled' })]);
    assert.equal(a.kind, 'bundled');
    assert.equal(a.socketPath, env.TSCOMPOSE_ENGINE_SOCKET);
    assert.equal(String(await (await a.docker()).ping()), 'OK');
    assert.equal(String(await (await b.docker()).ping()), 'OK');
    assert.equal(enginePids().length, 1);
    assert.ok(existsSync(path.join(env.TSCOMPOSE_STATE_ROOT, 'engine.log')), 'the background engine logs under the state root');
    assert.ok(!existsSync(path.join(env.TSCOMPOSE_STATE_ROOT, 'engine.lock')), 'the start lock is released');
    const again = await connectEngine({ engine: 'bundled' });
    assert.equal(String(await (await again.docker()).ping()), 'OK');
    assert.equal(enginePids().length, 1);
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
    Object.assign(process.env, saved);
  }
});
