// `tscompose watch` as a user runs it: brings the stack up, syncs edits, stops cleanly on Ctrl-C.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureDockerd } from '../../helpers/dockerd.js';
import { httpdService, newStack, waitFor, type TestStack } from './stack.js';

const dockerAvailable = await ensureDockerd();
const CLI = path.resolve('src/cli/main.ts');

const COMPOSE = `
services:
  web:
    build: .
    stop_signal: SIGKILL
    develop:
      watch:
        - action: sync
          path: ./www
          target: /www
          ignore: ["*.tmp"]
`;

describe('tscompose watch (CLI)', { skip: !dockerAvailable && 'no Docker Engine', timeout: 90_000 }, () => {
  let stack: TestStack;
  let child: ChildProcess | undefined;
  const cli = (args: string[]) => [
    '--import',
    'tsx',
    CLI,
    '--engine',
    'docker',
    '-p',
    stack.project.name,
    '-f',
    path.join(stack.dir, 'compose.yaml'),
    ...args,
  ];

  before(() => {
    stack = newStack('tsc-watch-cli', (context) => [httpdService('web', context, [])]);
    writeFileSync(path.join(stack.dir, 'compose.yaml'), COMPOSE);
  });

  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await stack?.remove();
  });

  test('--no-up refuses to watch a stack that is not running', () => {
    const r = spawnSync(process.execPath, cli(['watch', '--no-up']), { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /service "web" has no running container/);
    assert.doesNotMatch(r.stderr, /\n\s+at /); // one paragraph, no stack trace
  });

  test('an unknown service is a one-paragraph error', () => {
    const r = spawnSync(process.execPath, cli(['watch', 'nope']), { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no such service: nope/);
  });

  test('watch brings the stack up, syncs an edit with a report line, and exits 0 on SIGINT', async () => {
    child = spawn(process.execPath, cli(['--progress', 'plain', 'watch']), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await waitFor('the watch to start', async () => /watching web for changes/.test(out), 60_000);
    assert.equal((await stack.get('web', 'index.html')).body, 'v1\n');
    writeFileSync(path.join(stack.dir, 'www', 'index.html'), 'from the cli\n');
    await waitFor('the edit to be served', async () => (await stack.get('web', 'index.html')).body === 'from the cli\n');
    await waitFor('the report line', async () => /web: synced 1 file \(www\/index\.html\) in \d+ ms/.test(out));
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, out);
  });

  test('up --watch syncs alongside the attached logs and stops on SIGINT', async () => {
    const up = spawn(process.execPath, cli(['--progress', 'plain', 'up', '--watch']), { stdio: ['ignore', 'pipe', 'pipe'] });
    child = up;
    let out = '';
    up.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    up.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await waitFor('the watch to start', async () => /watching web for changes/.test(out), 60_000);
    writeFileSync(path.join(stack.dir, 'www', 'index.html'), 'from up --watch\n');
    await waitFor('the edit to be served', async () => (await stack.get('web', 'index.html')).body === 'from up --watch\n');
    await waitFor('the report line', async () => /web: synced 1 file/.test(out));
    up.kill('SIGINT');
    const [code] = await once(up, 'exit');
    assert.notEqual(code, null, out); // exited by itself once the containers stopped: the watchers did not hold it
  });
});
