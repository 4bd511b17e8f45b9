// Deleting a detached runc container without starting runc (src/engine/runtime/runc-stopped.ts): done only
// when runc itself would call the container stopped and its cgroups are empty; otherwise `runc delete --force`
// does it, killing what is left.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { OciRuntime } from '../../../src/engine/runtime/oci-runtime.js';
import { removeStoppedRuncContainer } from '../../../src/engine/runtime/runc-stopped.js';
import { busyboxRootfs } from '../volumes/runc-container.js';

const exec = promisify(execFile);
let dir: string;
let rootfs: string;
let stateRoot: string;
let runtime: OciRuntime;
const ids: string[] = [];

before(async () => {
  dir = mkdtempSync('/tmp/tsc-runc-stopped-');
  rootfs = await busyboxRootfs(path.join(dir, 'rootfs'));
  stateRoot = path.join(dir, 'runc');
  runtime = new OciRuntime('/usr/sbin/runc', stateRoot);
});

after(async () => {
  for (const id of ids) await exec('runc', ['--root', stateRoot, 'delete', '--force', id]).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

/** `runc run -d` of `args` in a cgroup of its own; `sharedPids`: in the host's pid namespace. */
async function runDetached(id: string, args: string[], sharedPids = false): Promise<void> {
  const bundle = path.join(dir, `bundle-${id}`);
  mkdirSync(bundle);
  await exec('runc', ['spec', '-b', bundle]);
  const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = args;
  spec.root = { path: rootfs, readonly: true };
  spec.linux.cgroupsPath = `/tscompose-test/${id}`;
  if (sharedPids) spec.linux.namespaces = spec.linux.namespaces.filter((n: { type: string }) => n.type !== 'pid');
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
  ids.push(id);
  // no pipes: the container's processes would hold them open after runc exits
  const child = spawn('runc', ['--root', stateRoot, 'run', '-d', '-b', bundle, id], { stdio: 'ignore' });
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(code, 0, 'runc run -d');
}

async function status(id: string): Promise<string | undefined> {
  try {
    return (JSON.parse((await exec('runc', ['--root', stateRoot, 'state', id])).stdout) as { status: string }).status;
  } catch {
    return undefined;
  }
}

async function stopped(id: string): Promise<void> {
  for (let i = 0; i < 200 && (await status(id)) !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(await status(id), 'stopped');
}

const cgroupPaths = (id: string): string[] =>
  Object.values(JSON.parse(readFileSync(path.join(stateRoot, id, 'state.json'), 'utf8')).cgroup_paths as Record<string, string>);

test('an ended container: its state and every cgroup runc made go, with no runc process', async () => {
  const id = `tsc-stopped-${process.pid}-a`;
  await runDetached(id, ['true']);
  await stopped(id);
  const cgroups = cgroupPaths(id);
  assert.ok(cgroups.length > 0 && cgroups.every((c) => existsSync(c)), 'runc left the cgroups of the detached run');
  assert.equal(await removeStoppedRuncContainer(stateRoot, id), true);
  assert.equal(existsSync(path.join(stateRoot, id)), false);
  for (const c of cgroups) assert.equal(existsSync(c), false, `${c} was left`);
  assert.equal(await status(id), undefined, 'runc no longer knows the container');
});

test('a running container is left to runc: removing it by hand answers false and changes nothing', async () => {
  const id = `tsc-stopped-${process.pid}-b`;
  await runDetached(id, ['sleep', '30']);
  assert.equal(await removeStoppedRuncContainer(stateRoot, id), false);
  assert.equal(await status(id), 'running');
  await runtime.delete(id, true);
  assert.equal(await status(id), undefined);
});

test('processes left in the cgroup of an ended container (shared pid namespace): runc delete --force kills them', async () => {
  const id = `tsc-stopped-${process.pid}-c`;
  await runDetached(id, ['sh', '-c', 'sleep 30 & echo $! > /dev/null; exit 0'], true);
  await stopped(id);
  const memory = cgroupPaths(id).find((c) => c.includes('/memory/')) ?? cgroupPaths(id)[0]!;
  const left = readFileSync(path.join(memory, 'cgroup.procs'), 'utf8').trim().split('\n').filter(Boolean).map(Number);
  assert.equal(left.length, 1, 'the background sleep outlived the container');
  assert.equal(await removeStoppedRuncContainer(stateRoot, id), false);
  assert.equal(existsSync(path.join(stateRoot, id)), true, 'the state stays for runc');
  await runtime.delete(id, true);
  assert.equal(existsSync(path.join(stateRoot, id)), false);
  for (let i = 0; i < 100 && existsSync(`/proc/${left[0]}`) && !/State:\s+Z/.test(readFileSync(`/proc/${left[0]}/status`, 'utf8')); i++)
    await new Promise((r) => setTimeout(r, 20));
  assert.ok(!existsSync(`/proc/${left[0]}`) || /State:\s+Z/.test(readFileSync(`/proc/${left[0]}/status`, 'utf8')), 'the sleep was killed');
});
