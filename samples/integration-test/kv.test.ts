// An integration test with tscompose's API and node:test: the stack comes up once for the file,
// each test talks to it over its published port, and the whole project goes away at the end —
// also when a test fails or the run is interrupted.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
// in your project: import { loadEnvironment, Wait, type ComposeEnvironment } from 'tscompose';
import { loadEnvironment, Wait, type ComposeEnvironment } from '../../src/api/index.js';

const here = import.meta.dirname;
let env: ComposeEnvironment;
let baseUrl = '';

before(async () => {
  execFileSync('sh', [path.join(here, 'prepare.sh')]); // a static busybox into the build context
  env = await loadEnvironment({ cwd: here }); // project name "kv-<random>": runs never collide
  await env.up({ wait: { api: Wait.forHttp('/cgi-bin/kv?greeting', { port: 8080 }) }, timeout: 120_000 });
  baseUrl = `http://127.0.0.1:${await env.container('api').port(8080)}/cgi-bin/kv`;
});

after(async () => {
  await env?.down(); // containers, network, volume and the images built for this run
});

test('the seed job ran before the API started', async () => {
  const res = await fetch(`${baseUrl}?greeting`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'hello from the seed job\n');
});

test('a stored value can be read back', async () => {
  const put = await fetch(`${baseUrl}?colour`, { method: 'POST', body: 'teal' });
  assert.equal(put.status, 201);
  assert.equal(await (await fetch(`${baseUrl}?colour`)).text(), 'teal');
});

test('the value is in the volume, as seen from inside the container', async () => {
  await fetch(`${baseUrl}?planet`, { method: 'POST', body: 'mars' });
  const { exitCode, stdout } = await env.container('api').exec(['cat', '/data/planet']);
  assert.equal(exitCode, 0);
  assert.equal(stdout, 'mars');
});

test('an unknown key is a 404', async () => {
  const res = await fetch(`${baseUrl}?nothing-here`);
  assert.equal(res.status, 404);
});
