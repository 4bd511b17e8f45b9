// An engine upgraded over state written by an engine before the typed records (version 1: container.json was
// Docker's inspect document) keeps its containers: a running one is adopted and stays under control, a stopped
// one starts again, and both show in inspect as they did. Each container.json is rewritten in the version 1
// shape while the engine is down (its contents spelt out here, from a real version 1 file: see
// test/fixtures/engine/container-record-v1.json), as an upgrade finds it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startTestEngine, BUSYBOX, type TestEngine } from './harness.js';

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
});
after(async () => {
  await t?.cleanup();
});

/** The version 1 document an old engine would have written for this stored record. */
function asVersion1(r: Record<string, any>): Record<string, unknown> {
  const s = r.state;
  return {
    Id: r.id,
    Name: r.name,
    Created: r.created,
    Path: r.path,
    Args: r.args,
    Image: r.imageId,
    Config: r.config,
    HostConfig: r.hostConfig,
    NetworkingConfig: { EndpointsConfig: r.endpointsConfig },
    State: {
      Status: s.status,
      Running: s.running,
      Paused: s.paused,
      Restarting: s.restarting,
      OOMKilled: s.oomKilled,
      Dead: s.dead,
      Pid: s.pid,
      ExitCode: s.exitCode,
      Error: s.error,
      StartedAt: s.startedAt,
      FinishedAt: s.finishedAt,
    },
    RestartCount: r.restartCount,
    NetworkSettings: { Networks: r.networkSettings.networks, Ports: r.networkSettings.ports, SandboxKey: r.networkSettings.sandboxKey },
    Mounts: r.mounts.map((m: Record<string, any>) => ({
      Type: m.type,
      Source: m.source,
      Destination: m.destination,
      Mode: m.mode,
      RW: m.rw,
      Propagation: m.propagation,
      Name: m.name,
      Driver: m.driver,
    })),
    LayerDirs: r.layerDirs,
    SupervisorPid: r.runtimePid,
    ManualStop: r.manualStop,
  };
}

test('containers stored by a version 1 engine are kept, running and stopped, and rewritten in the current format', async () => {
  const running = await t.docker.createContainer({
    Image: BUSYBOX,
    name: 'upgrade-running',
    Cmd: ['sh', '-c', 'echo up; sleep 300'],
    HostConfig: { Binds: ['upgrade-vol:/data'] },
  });
  const stopped = await t.docker.createContainer({
    Image: BUSYBOX,
    name: 'upgrade-stopped',
    Cmd: ['sh', '-c', 'exit 3'],
    Labels: { keep: 'me' },
  });
  await running.start();
  await stopped.start();
  assert.equal((await stopped.wait()).StatusCode, 3);
  const before = { running: await running.inspect(), stopped: await stopped.inspect() };

  await t.engine.close(); // containers keep running while the engine is down
  const file = (id: string) => path.join(t.engine.paths.containers, id, 'container.json');
  for (const id of [running.id, stopped.id]) {
    const stored = JSON.parse(readFileSync(file(id), 'utf8'));
    assert.equal(stored.version, 2);
    writeFileSync(file(id), JSON.stringify(asVersion1(stored)));
  }
  await t.restart();

  const after = { running: await running.inspect(), stopped: await stopped.inspect() };
  for (const key of ['Name', 'State', 'Config', 'HostConfig', 'Mounts', 'Image', 'Path', 'Args', 'Created'] as const) {
    assert.deepEqual(after.running[key], before.running[key], `running: ${key}`);
    assert.deepEqual(after.stopped[key], before.stopped[key], `stopped: ${key}`);
  }
  for (const id of [running.id, stopped.id]) assert.equal(JSON.parse(readFileSync(file(id), 'utf8')).version, 2);

  // the adopted container is still under the engine's control, and the stopped one runs again
  await running.kill();
  assert.equal((await running.inspect()).State.ExitCode, 137);
  await stopped.start();
  assert.equal((await stopped.wait()).StatusCode, 3);
  await running.remove({ v: true });
  await stopped.remove();
});

test('a container.json that is no record is left on disk and logged, and the others load', async () => {
  const c = await t.docker.createContainer({ Image: BUSYBOX, name: 'upgrade-broken', Cmd: ['true'] });
  const good = await t.docker.createContainer({ Image: BUSYBOX, name: 'upgrade-good', Cmd: ['true'] });
  await t.engine.close();
  const file = path.join(t.engine.paths.containers, c.id, 'container.json');
  writeFileSync(file, JSON.stringify({ version: 99, id: c.id }));
  await t.restart();
  await assert.rejects(c.inspect(), (err: { statusCode?: number }) => err.statusCode === 404);
  assert.equal((await good.inspect()).Name, '/upgrade-good');
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).version, 99); // untouched
  const log = readFileSync(t.engine.paths.log, 'utf8');
  assert.match(log, new RegExp(`container record cannot be read.*${c.id}.*newer than this engine`));
  await good.remove();
});
