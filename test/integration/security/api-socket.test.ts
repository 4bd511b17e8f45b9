// Whoever can use the engine's API socket is root: it is 0660 root:root (or root:<group> when configured),
// never open to others, and the engine refuses to serve on a socket others could use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { startEngine } from '../../../src/engine/engine.js';

const PING = `require('node:http').get({ socketPath: process.argv[1], path: '/_ping' }, (r) => { console.log(r.statusCode); process.exit(0); })
  .on('error', (e) => { console.log(e.code); process.exit(0); });`;
// asynchronous: the engine under test runs in this process and must answer meanwhile
const pingAs = async (uid: number, gid: number, socket: string) =>
  (
    await promisify(execFile)('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', process.execPath, '-e', PING, socket])
  ).stdout.trim();

async function withEngine(opts: { socketMode?: number; socketGroup?: string }, check: (socket: string, root: string) => Promise<void>) {
  const dir = mkdtempSync('/tmp/tsc-apisock-');
  chmodSync(dir, 0o755); // only the socket's own mode stands between other users and the engine
  const socket = path.join(dir, 'engine.sock');
  const engine = await startEngine({ root: path.join(dir, 'state'), socketPath: socket, ...opts });
  try {
    await check(socket, path.join(dir, 'state'));
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the API socket is 0660 root:root and another user cannot connect; the state root is 0710', async () => {
  await withEngine({}, async (socket, root) => {
    const st = statSync(socket);
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.uid, 0);
    assert.equal(st.gid, 0);
    assert.equal(await pingAs(65534, 65534, socket), 'EACCES');
    assert.equal(await pingAs(0, 0, socket), '200');
    assert.equal(statSync(root).mode & 0o777, 0o710);
  });
});

test('a configured group may use the socket, and only it', async () => {
  await withEngine({ socketGroup: '65534' }, async (socket) => {
    assert.equal(statSync(socket).gid, 65534);
    assert.equal(await pingAs(65534, 65534, socket), '200', 'a member of the group reaches the engine');
    assert.equal(await pingAs(1000, 1000, socket), 'EACCES', 'anyone else does not');
  });
});

test('the engine refuses to serve on a socket others could use', async () => {
  const dir = mkdtempSync('/tmp/tsc-apisock-');
  try {
    await assert.rejects(
      startEngine({ root: path.join(dir, 'state'), socketPath: path.join(dir, 'engine.sock'), socketMode: 0o666 }),
      /refusing to serve the engine API on a socket others can use/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
