// The supervisor runs containers as root: nobody but the engine may reach it. Each attack here is performed
// for real (a non-root user, a root process in another mount namespace, a `--network host` container) and
// the host is checked afterwards for the marker the attacker's "runtime" would have written as root.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startTestEngine, BUSYBOX, type TestEngine } from '../engine/harness.js';
import { supervisorSocketPath } from '../../../src/engine/containers/supervisor-channel.js';

let t: TestEngine;
let lab: string; // world-readable: the attacker's script and "runtime" live here
let socketPath: string;

// Connects to every tscompose socket it can find (abstract ones from /proc/net/unix, and the paths given),
// asks each to run the attacker's binary as the runtime (the old protocol) and says hello (the new one).
const ATTACK = `
const net = require('node:net');
const fs = require('node:fs');
const [evil, dir, ...paths] = process.argv.slice(2);
const abstract = fs.readFileSync('/proc/net/unix', 'utf8').split('\\n').map((l) => l.trim().split(/\\s+/)[7])
  .filter((p) => p && p.startsWith('@') && p.includes('tscompose')).map((p) => '\\0' + p.slice(1));
const results = [];
const job = { runtime: evil, runtimeRoot: dir, id: 'a'.repeat(64), bundle: dir, dir, logPath: dir + '/log', openStdin: false, tty: false };
let pending = abstract.length + paths.length;
const done = () => { if (--pending === 0) { console.log(JSON.stringify({ abstract: abstract.length, results })); process.exit(0); } };
if (pending === 0) done(), pending = 0, console.log(JSON.stringify({ abstract: 0, results }));
for (const p of [...abstract, ...paths]) {
  const r = { target: p.replace('\\0', '@'), connected: false, answered: '' };
  results.push(r);
  const s = net.connect(p);
  s.on('connect', () => {
    r.connected = true;
    s.write(JSON.stringify({ op: 'run', job }) + '\\n' + JSON.stringify({ op: 'hello' }) + '\\n' + JSON.stringify({ op: 'list' }) + '\\n');
    setTimeout(() => { s.destroy(); done(); }, 1500);
  });
  s.on('data', (d) => { r.answered += d.toString(); });
  s.on('error', (e) => { r.error = e.code; if (!r.connected) done(); });
}
`;

before(async () => {
  t = await startTestEngine();
  lab = mkdtempSync('/tmp/tsc-attack-');
  chmodSync(lab, 0o777);
  writeFileSync(path.join(lab, 'attack.cjs'), ATTACK);
  writeFileSync(path.join(lab, 'evil.sh'), `#!/bin/sh\nid > ${lab}/pwned\n`, { mode: 0o755 });
  chmodSync(path.join(lab, 'evil.sh'), 0o755);
  // a running container, so the supervisor is up
  const c = await t.docker.createContainer({ Image: BUSYBOX, Cmd: ['sleep', '300'] });
  await c.start();
  socketPath = supervisorSocketPath(path.join(t.root, 'state'));
  // make the test's own temp dir traversable so only the engine's protections stand in the way
  chmodSync(t.root, 0o755);
});

after(async () => {
  await t?.cleanup();
  if (lab) rmSync(lab, { recursive: true, force: true });
});

function attack(prefix: string[]): {
  abstract: number;
  results: { target: string; connected: boolean; answered: string; error?: string }[];
} {
  const r = spawnSync(
    prefix[0]!,
    [...prefix.slice(1), process.execPath, path.join(lab, 'attack.cjs'), path.join(lab, 'evil.sh'), lab, socketPath],
    { encoding: 'utf8', timeout: 20_000 },
  );
  assert.equal(r.status, 0, `the attack script ran: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test('the supervisor listens on no abstract socket, only on a file in a root-only directory', () => {
  const abstract = readFileSync('/proc/net/unix', 'utf8')
    .split('\n')
    .filter((l) => /@tscompose/.test(l));
  assert.deepEqual(abstract, [], 'no @tscompose… abstract socket in the host network namespace');
  assert.ok(existsSync(socketPath), `the supervisor socket ${socketPath} exists`);
  const dir = statSync(path.dirname(socketPath));
  assert.equal(dir.uid, 0);
  assert.equal(dir.mode & 0o777, 0o700, 'the socket directory is 0700');
});

test('a non-root user cannot reach the supervisor', () => {
  const out = attack(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--']);
  assert.equal(out.abstract, 0);
  for (const r of out.results) {
    assert.equal(r.connected, false, `connected to ${r.target}`);
    assert.equal(r.answered, '');
  }
  assert.equal(existsSync(path.join(lab, 'pwned')), false, "the attacker's runtime never ran as root");
});

test("root in another mount namespace (a container's root) is refused before any request is read", () => {
  const out = attack(['unshare', '--mount', '--propagation', 'private', '--']);
  const r = out.results.find((x) => x.target === socketPath)!;
  assert.ok(r, 'the attacker could see the socket file');
  assert.equal(r.answered, '', 'the supervisor answered nothing');
  assert.equal(existsSync(path.join(lab, 'pwned')), false, "the attacker's runtime never ran");
  assert.match(readFileSync(path.join(t.root, 'state', 'supervisor.log'), 'utf8'), /refused a connection: .*another mount namespace/);
});

test('a --network host container sees no supervisor socket', async () => {
  const r = await t.cli([
    'run',
    '--rm',
    '--network',
    'host',
    BUSYBOX,
    'sh',
    '-c',
    `grep -c @tscompose /proc/net/unix; ls ${socketPath} 2>&1; true`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const [count, ls] = r.stdout.split('\n');
  assert.equal(count, '0', 'no abstract tscompose socket in the host network namespace, as seen from the container');
  assert.match(ls ?? '', /No such file/);
});

test('the engine still runs containers through its supervisor', async () => {
  const r = await t.cli(['run', '--rm', BUSYBOX, 'echo', 'still works']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'still works');
});
