// The engine's side of the supervisor channel against a scripted supervisor on a real unix socket: a
// supervisor that dies while being greeted (its listening socket still accepted the connection) is not taken
// for one running another runtime, and only the loss of a supervisor that answered is reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SupervisorClient } from '../../../src/engine/containers/supervisor-client.js';
import { supervisorSocketPath } from '../../../src/engine/containers/supervisor-channel.js';

const ID = 'a'.repeat(64);

/** A supervisor whose n-th connection (from 0) is served by `script[n]`. */
async function scriptedSupervisor(root: string, script: ((sock: net.Socket, msg: { op: string }) => void)[]) {
  const address = supervisorSocketPath(root);
  mkdirSync(path.dirname(address), { recursive: true, mode: 0o700 });
  const connections: net.Socket[] = [];
  const server = net.createServer((sock) => {
    const serve = script[connections.length] ?? script[script.length - 1]!;
    connections.push(sock);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const msg = JSON.parse(buf.slice(0, nl)) as { op: string };
        buf = buf.slice(nl + 1);
        serve(sock, msg);
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(address, r));
  return { server, connections };
}

const answering = (sock: net.Socket, msg: { op: string }) => {
  if (msg.op === 'hello') sock.write(JSON.stringify({ op: 'hello', runtime: '/usr/sbin/runc', mode: 'reaper' }) + '\n');
  if (msg.op === 'list') sock.write(JSON.stringify({ op: 'running', ids: [ID] }) + '\n');
};

test('a supervisor that closes during the greeting is not another runtime: the client greets the next one', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tsc-supcli-'));
  const { server, connections } = await scriptedSupervisor(root, [(sock) => sock.destroy(), answering]);
  let lost = 0;
  const client = new SupervisorClient(
    root,
    '/usr/sbin/runc',
    path.join(root, 'supervisor.log'),
    () => {},
    () => lost++,
  );
  try {
    assert.deepEqual([...(await client.running())], [ID]);
    assert.equal(connections.length, 2, 'a second connection was made');
    assert.equal(lost, 0, 'a connection that never answered is no lost supervisor');
    assert.equal(client.mode, 'reaper');

    // the supervisor that answered goes away: reported once; a list in flight fails instead of hanging
    const listing = client.running();
    connections[1]!.destroy();
    await assert.rejects(listing, /went away/);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(lost, 1);
  } finally {
    client.close();
    server.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a supervisor running another runtime is refused with what to do', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tsc-supcli-'));
  const { server } = await scriptedSupervisor(root, [
    (sock, msg) => {
      if (msg.op === 'hello') sock.write(JSON.stringify({ op: 'hello', runtime: '/usr/bin/crun' }) + '\n');
    },
  ]);
  const client = new SupervisorClient(
    root,
    '/usr/sbin/runc',
    path.join(root, 'supervisor.log'),
    () => {},
    () => {},
  );
  try {
    await assert.rejects(
      client.running(),
      /runs containers with \/usr\/bin\/crun, not \/usr\/sbin\/runc: .*TSCOMPOSE_OCI_RUNTIME=\/usr\/bin\/crun/,
    );
  } finally {
    client.close();
    server.close();
    rmSync(root, { recursive: true, force: true });
  }
});
