// State survives the engine: a running container keeps running while the engine is down, its output
// meanwhile is in the logs, and the next engine adopts it (stop, exit code) and keeps stopped ones.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEngine, BUSYBOX, type TestEngine } from './harness.js';

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
});
after(async () => {
  await t?.cleanup();
});

const stdoutOf = (buf: Buffer) => {
  let out = '';
  for (let i = 0; i + 8 <= buf.length;) {
    const n = buf.readUInt32BE(i + 4);
    if (buf[i] === 1) out += buf.subarray(i + 8, i + 8 + n);
    i += 8 + n;
  }
  return out;
};

test('a running container survives an engine restart with its logs, and is adopted again', async () => {
  const running = await t.docker.createContainer({
    Image: BUSYBOX,
    Cmd: ['sh', '-c', 'i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.1; done'],
  });
  await running.start();
  const stopped = await t.docker.createContainer({ Image: BUSYBOX, Cmd: ['sh', '-c', 'exit 9'], name: 'tsc-eng-restart-stopped' });
  await stopped.start();
  await stopped.wait();
  const pidBefore = (await running.inspect()).State.Pid;

  await t.engine.close();
  const ticksBefore = (await import('node:fs'))
    .readFileSync(`${t.engine.paths.containers}/${running.id}/container.log`, 'utf8')
    .split('\n').length;
  await new Promise((r) => setTimeout(r, 1000)); // the container keeps writing while no engine runs
  await t.restart();

  const info = await running.inspect();
  assert.equal(info.State.Running, true);
  assert.equal(info.State.Pid, pidBefore);
  const logs = stdoutOf((await running.logs({ stdout: true })) as unknown as Buffer)
    .trim()
    .split('\n');
  assert.ok(logs.length > ticksBefore, `lines written while the engine was down are kept (${logs.length} > ${ticksBefore})`);
  logs.forEach((line, i) => assert.equal(line, `tick${i}`));

  const old = await stopped.inspect();
  assert.equal(old.State.Status, 'exited');
  assert.equal(old.State.ExitCode, 9);
  assert.equal(old.Name, '/tsc-eng-restart-stopped');

  await running.kill({ signal: 'SIGKILL' });
  assert.equal((await running.wait()).StatusCode, 137, "the adopted container's exit is seen");
});
