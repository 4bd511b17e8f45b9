// Runtimes other than runc (crun: "mount `overlay` to ``") get the container's overlay mounted on the host at the
// bundle's rootfs before they start. Tested on any host with runc under another name, which takes that path:
// the mount lives exactly as long as the container runs, across stop/start, an engine restart, an exit while no
// engine runs, and removal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { startTestEngine, BUSYBOX, type TestEngine } from './harness.js';
import { OciRuntime } from '../../../src/engine/runtime/oci-runtime.js';

let t: TestEngine;
const linkDir = mkdtempSync('/tmp/tsc-premount-rt-');
const saved = process.env.TSCOMPOSE_OCI_RUNTIME;
before(async () => {
  const runc = execFileSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' }).trim();
  symlinkSync(runc, path.join(linkDir, 'oci-runtime'));
  process.env.TSCOMPOSE_OCI_RUNTIME = path.join(linkDir, 'oci-runtime');
  t = await startTestEngine();
});
after(async () => {
  await t?.cleanup();
  if (saved === undefined) delete process.env.TSCOMPOSE_OCI_RUNTIME;
  else process.env.TSCOMPOSE_OCI_RUNTIME = saved;
  rmSync(linkDir, { recursive: true, force: true });
});

const mounted = (id: string) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === path.join(t.engine.paths.containers, id, 'rootfs'));

test('only runc takes the overlay as its OCI mount on /', () => {
  assert.equal(new OciRuntime('/usr/sbin/runc', '/x').mountsRootOverlay, true);
  assert.equal(new OciRuntime('runc', '/x').mountsRootOverlay, true);
  assert.equal(new OciRuntime('/usr/bin/crun', '/x').mountsRootOverlay, false);
  assert.equal(new OciRuntime(path.join(linkDir, 'oci-runtime'), '/x').mountsRootOverlay, false);
});

test('the root filesystem is mounted on the host while the container runs, and only then', async () => {
  const once = await t.cli(['run', '--rm', BUSYBOX, 'sh', '-c', 'echo written > /f && cat /f']);
  assert.equal(once.code, 0, once.stderr);
  assert.equal(once.stdout, 'written\n');

  const c = await t.docker.createContainer({ Image: BUSYBOX, Cmd: ['sleep', '300'] });
  assert.equal(mounted(c.id), false);
  await c.start();
  assert.equal(mounted(c.id), true);
  await c.stop({ t: 0 });
  assert.equal(mounted(c.id), false, 'unmounted on exit');
  await c.start();
  assert.equal(mounted(c.id), true);

  await t.restart();
  assert.equal((await c.inspect()).State.Running, true);
  assert.equal(mounted(c.id), true, "an engine restart keeps a running container's root filesystem");
  const ex = await t.cli(['exec', c.id, 'sh', '-c', 'echo ok > /g && cat /g']);
  assert.equal(ex.stdout, 'ok\n', ex.stderr);

  // the container exits while no engine runs: the next engine unmounts its root filesystem
  await t.engine.close();
  execFileSync(process.env.TSCOMPOSE_OCI_RUNTIME!, ['--root', path.join(t.engine.paths.root, 'runc'), 'kill', c.id, 'KILL']);
  for (let i = 0; i < 100 && existsExit(c.id) === false; i++) await new Promise((r) => setTimeout(r, 50));
  await t.restart();
  assert.equal((await c.inspect()).State.ExitCode, 137);
  assert.equal(mounted(c.id), false, 'unmounted by the next engine');

  await c.start();
  assert.equal(mounted(c.id), true);
  await c.remove({ force: true });
  assert.equal(mounted(c.id), false, 'unmounted on removal');
});

function existsExit(id: string): boolean {
  try {
    readFileSync(path.join(t.engine.paths.containers, id, 'exit.json'));
    return true;
  } catch {
    return false;
  }
}
