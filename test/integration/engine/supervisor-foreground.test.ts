// The fallback where no reaper can run (no perl, no subreaper): the supervisor runs the runtime in the
// foreground per container, as before the reaper, and says so in its log. Forced here with
// TSCOMPOSE_SUPERVISOR_MODE=foreground, read by the engine when it starts a supervisor.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startTestEngine, BUSYBOX, type TestEngine } from './harness.js';
import { demux } from '../../helpers/docker-stream.js';

let t: TestEngine;
before(async () => {
  process.env.TSCOMPOSE_SUPERVISOR_MODE = 'foreground';
  t = await startTestEngine();
});
after(async () => {
  delete process.env.TSCOMPOSE_SUPERVISOR_MODE;
  await t?.cleanup();
});

test('without the reaper, containers run under a foreground runtime: exit codes, logs', async () => {
  const c = await t.docker.createContainer({
    Image: BUSYBOX,
    Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'],
    HostConfig: { NetworkMode: 'none' },
  });
  await c.start();
  assert.equal((await c.wait()).StatusCode, 3);
  const logs = demux((await c.logs({ stdout: true, stderr: true })) as unknown as Buffer);
  assert.deepEqual(logs, { stdout: 'out\n', stderr: 'err\n' });
  assert.match(
    readFileSync(path.join(t.root, 'state', 'supervisor.log'), 'utf8'),
    /TSCOMPOSE_SUPERVISOR_MODE=foreground: containers run with the runtime in the foreground/,
  );

  const sleeper = await t.docker.createContainer({ Image: BUSYBOX, Cmd: ['sleep', '300'], HostConfig: { NetworkMode: 'none' } });
  await sleeper.start();
  const { State } = await sleeper.inspect();
  const parent = Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${State.Pid}/status`, 'utf8'))![1]);
  assert.match(readFileSync(`/proc/${parent}/cmdline`, 'utf8'), /(runc|crun)\0/, "the container's parent is its runtime");
  await sleeper.remove({ force: true });
});
