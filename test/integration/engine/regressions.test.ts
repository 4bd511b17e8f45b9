// Regressions reported by engineers using the bundled engine: list filters, concurrent saves of a
// container's state, attached run then rm, docker cp into a container whose overlay is not mounted,
// network lifecycle wiring (restore, close, connect/disconnect shown by inspect).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startEngine, type EngineNetworks } from '../../../src/engine/engine.js';
import { createNetworkService } from '../../../src/engine/network/index.js';
import { startTestEngine, BUSYBOX, type TestEngine } from './harness.js';

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
});
after(async () => {
  await t?.cleanup();
});

const unique = (what: string) => `tsc-eng-${what}-${randomBytes(4).toString('hex')}`;

test('container list: every label filter must match; values of another key are alternatives', async () => {
  const run = unique('flt');
  const make = (name: string, labels: Record<string, string>) =>
    t.docker.createContainer({ Image: BUSYBOX, name: `${run}-${name}`, Labels: { run, ...labels }, Cmd: ['true'] });
  await make('ab', { a: '1', b: '2' });
  await make('a', { a: '1' });
  await make('b', { b: '2' });
  const names = async (filters: Record<string, string[]>) =>
    (await t.docker.listContainers({ all: true, filters: JSON.stringify(filters) })).map((c) => c.Names[0]!.slice(run.length + 2)).sort();

  assert.deepEqual(await names({ label: [`run=${run}`, 'a=1', 'b=2'] }), ['ab']);
  assert.deepEqual(await names({ label: [`run=${run}`, 'a'] }), ['a', 'ab']);
  assert.deepEqual(await names({ label: [`run=${run}`], 'label!': ['a'] }), ['b']);
  assert.deepEqual(await names({ label: [`run=${run}`], name: [`${run}-a$`, `${run}-b$`] }), ['a', 'b']);
  assert.deepEqual(await names({ label: [`run=${run}`, 'b=2'], name: [`${run}-a$`, `${run}-ab$`] }), ['ab']);
  const cli = await t.cli([
    'ps',
    '-a',
    '--format',
    '{{.Names}}',
    '--filter',
    `label=run=${run}`,
    '--filter',
    'label=a=1',
    '--filter',
    'label=b=2',
  ]);
  assert.equal(cli.stdout.trim(), `${run}-ab`);
});

test('concurrent state changes of one container all succeed and the last one is what is stored', async () => {
  const c = await t.docker.createContainer({ Image: BUSYBOX, name: unique('save'), Cmd: ['true'] });
  const base = unique('renamed');
  for (let round = 0; round < 3; round++) {
    const names = Array.from({ length: 8 }, (_, i) => `${base}-${round}-${i}`);
    await Promise.all(names.map((name) => c.rename({ name })));
    const stored = JSON.parse(readFileSync(path.join(t.engine.paths.containers, c.id, 'container.json'), 'utf8')) as { name: string };
    assert.equal(stored.name, (await c.inspect()).Name);
  }
});

test('an attached docker run returns once the container is recorded as exited: an immediate docker rm works', async () => {
  for (let i = 0; i < 4; i++) {
    const name = unique('attached');
    const ran = await t.cli(['run', '--name', name, '--network', 'none', BUSYBOX, 'sh', '-c', 'echo hi']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, 'hi\n');
    const rm = await t.cli(['rm', name]);
    assert.equal(rm.code, 0, rm.stderr);
  }
  // a client that takes the end of the attach stream as the exit
  for (let i = 0; i < 3; i++) {
    const c = await t.docker.createContainer({
      Image: BUSYBOX,
      Cmd: ['true'],
      AttachStdout: true,
      AttachStderr: true,
      HostConfig: { NetworkMode: 'none' },
    });
    const stream = await c.attach({ stream: true, stdout: true, stderr: true });
    const ended = new Promise((r) => {
      stream.on('end', r);
      stream.on('close', r);
      stream.resume();
    });
    await c.start();
    await ended;
    await c.remove();
  }
});

test('docker cp into a stopped container lands in its filesystem, which stays unmounted on the host', async () => {
  const name = unique('cp');
  const created = await t.cli(['create', '--name', name, '--network', 'none', BUSYBOX, 'cat', '/copied/file.txt']);
  assert.equal(created.code, 0, created.stderr);
  const id = created.stdout.trim();
  const rootfs = t.engine.containers.layout(id).rootfs;
  const mountedOnHost = () =>
    readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[4] === rootfs);
  // the runtime mounts a container's filesystem in the container's own mount namespace only
  assert.equal(mountedOnHost(), false);
  const src = path.join(t.root, 'copied');
  spawnSync('mkdir', ['-p', src]);
  spawnSync('sh', ['-c', `echo from-host > ${src}/file.txt`]);
  const cp = await t.cli(['cp', src, `${name}:/`]);
  assert.equal(cp.code, 0, cp.stderr);
  const back = await t.cli(['cp', `${name}:/copied/file.txt`, '-']);
  assert.equal(back.code, 0, back.stderr);
  assert.match(back.stdout, /from-host/);
  // the client has the whole archive a moment before the engine unmounts
  for (let i = 0; i < 100 && mountedOnHost(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(mountedOnHost(), false, 'docker cp mounts a stopped container only while it copies');
  const started = await t.cli(['start', '-a', name]);
  assert.equal(started.code, 0, started.stderr);
  assert.equal(started.stdout, 'from-host\n');
  await t.cli(['rm', name]);
});

test('network connect and disconnect of a running container show in its inspect', async () => {
  const net = unique('net');
  const name = unique('conn');
  assert.equal((await t.cli(['network', 'create', net])).code, 0);
  try {
    const ran = await t.cli(['run', '-d', '--name', name, BUSYBOX, 'sleep', '60']);
    assert.equal(ran.code, 0, ran.stderr);
    const networks = async () => Object.keys((await t.docker.getContainer(name).inspect()).NetworkSettings.Networks).sort();
    const until = async (want: string[]) => {
      for (let i = 0; i < 100 && JSON.stringify(await networks()) !== JSON.stringify(want); i++)
        await new Promise((r) => setTimeout(r, 20));
      return networks();
    };
    assert.deepEqual(await networks(), ['bridge']);
    const connected = await t.cli(['network', 'connect', net, name]);
    assert.equal(connected.code, 0, connected.stderr);
    assert.deepEqual(await until(['bridge', net].sort()), ['bridge', net].sort());
    const listed = await t.docker.listContainers({ filters: JSON.stringify({ network: [net] }) });
    assert.deepEqual(
      listed.map((c) => c.Names[0]),
      [`/${name}`],
    );
    const disconnected = await t.cli(['network', 'disconnect', net, name]);
    assert.equal(disconnected.code, 0, disconnected.stderr);
    assert.deepEqual(await until(['bridge']), ['bridge']);
  } finally {
    await t.cli(['rm', '-f', name]);
    await t.cli(['network', 'rm', net]);
  }
});

test('the engine restores networks on startup with nothing running and closes them on shutdown', async () => {
  const calls: string[] = [];
  const root = mkdtempSync('/tmp/tsc-eng-netlife-');
  try {
    const engine = await startEngine({
      root: path.join(root, 'state'),
      socketPath: path.join(root, 'engine.sock'),
      networks: (ctx) => {
        const real = createNetworkService(ctx);
        return Object.assign(Object.create(real) as EngineNetworks, {
          restore: async (running: { containerId: string; pid: number }[]) => {
            calls.push(`restore:${running.length}`);
            await real.restore(running);
          },
          close: async () => {
            calls.push('close');
            await real.close?.();
          },
        });
      },
    });
    assert.deepEqual(calls, ['restore:0']);
    await engine.close({ stopSupervisor: true });
    assert.deepEqual(calls, ['restore:0', 'close']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('published ports are reported while the container runs, not after it stopped (as docker ps shows them)', async () => {
  const c = await t.docker.createContainer({
    Image: BUSYBOX,
    name: unique('ports'),
    Cmd: ['sleep', '30'],
    StopSignal: 'SIGKILL',
    ExposedPorts: { '8080/tcp': {} },
    HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  await c.start();
  const listed = async () => (await t.docker.listContainers({ all: true, filters: JSON.stringify({ id: [c.id] }) }))[0]!;
  const running = await listed();
  assert.equal(running.Ports.length, 1);
  assert.ok(running.Ports[0]!.PublicPort > 0);
  assert.ok((await c.inspect()).NetworkSettings.Ports['8080/tcp']?.length);
  await c.stop({ t: 0 });
  assert.deepEqual((await listed()).Ports, []);
  assert.deepEqual((await c.inspect()).NetworkSettings.Ports, {});
  assert.match((await listed()).Status, /^Exited \(137\) (Less than a second|\d+ seconds?) ago$/);
});

test('a created container connected to a second network gets both at start; a stopped one can be disconnected', async () => {
  const front = unique('front');
  const back = unique('back');
  const name = unique('two');
  for (const n of [front, back]) assert.equal((await t.cli(['network', 'create', n])).code, 0);
  try {
    const created = await t.cli([
      'create',
      '--name',
      name,
      '--network',
      front,
      BUSYBOX,
      'sh',
      '-c',
      'ip -o -4 addr show | grep -c "inet 10\\." ; sleep 60',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const connected = await t.cli(['network', 'connect', '--alias', 'db', back, name]);
    assert.equal(connected.code, 0, connected.stderr);
    const again = await t.cli(['network', 'connect', back, name]);
    assert.notEqual(again.code, 0, 'connecting twice is refused');
    assert.match(again.stderr, /already exists in network/);
    assert.equal((await t.cli(['start', name])).code, 0);
    const networks = async () => Object.keys((await t.docker.getContainer(name).inspect()).NetworkSettings.Networks).sort();
    assert.deepEqual(await networks(), [back, front].sort());
    const info = await t.docker.getContainer(name).inspect();
    assert.ok(info.NetworkSettings.Networks[back]!.Aliases?.includes('db'));
    for (let i = 0; i < 100 && !(await t.cli(['logs', name])).stdout.trim(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await t.cli(['logs', name])).stdout.trim(), '2', 'an interface on each network');

    assert.equal((await t.cli(['stop', '-t', '0', name])).code, 0);
    const disconnected = await t.cli(['network', 'disconnect', back, name]);
    assert.equal(disconnected.code, 0, disconnected.stderr);
    assert.equal((await t.cli(['start', name])).code, 0);
    assert.deepEqual(await networks(), [front]);
  } finally {
    await t.cli(['rm', '-f', name]);
    for (const n of [front, back]) await t.cli(['network', 'rm', n]);
  }
});

test("docker kill returns once the container has exited with 137, as Docker's SIGKILL does", async () => {
  const c = await t.docker.createContainer({
    Image: BUSYBOX,
    name: unique('kill'),
    Cmd: ['sleep', '300'],
    HostConfig: { NetworkMode: 'none' },
  });
  await c.start();
  await c.kill();
  const state = (await c.inspect()).State;
  assert.equal(state.Running, false);
  assert.equal(state.Status, 'exited');
  assert.equal(state.ExitCode, 137);
  await c.remove();
});

test("NetworkSettings.Networks shows a created container's networks with their endpoint config, before it starts", async () => {
  const net = unique('netview');
  await t.docker.createNetwork({ Name: net });
  const c = await t.docker.createContainer({
    Image: BUSYBOX,
    name: unique('netview'),
    Cmd: ['true'],
    HostConfig: { NetworkMode: net },
    NetworkingConfig: { EndpointsConfig: { [net]: { Aliases: ['svc'], IPAMConfig: { IPv4Address: '' } } } },
  });
  const networks = (await c.inspect()).NetworkSettings.Networks as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(networks), [net]);
  assert.deepEqual(networks[net]!.Aliases, ['svc']);
  assert.equal(networks[net]!.IPAddress, '');
  assert.ok(
    'IPAMConfig' in networks[net]! && 'Links' in networks[net]! && 'DriverOpts' in networks[net]! && 'MacAddress' in networks[net]!,
  );
  // disconnect then connect, as docker-compose v1 does before a container's first start
  await t.docker.getNetwork(net).disconnect({ Container: c.id });
  assert.deepEqual(Object.keys((await c.inspect()).NetworkSettings.Networks), []);
  await t.docker.getNetwork(net).connect({ Container: c.id, EndpointConfig: { Aliases: ['svc2'] } });
  assert.deepEqual((await c.inspect()).NetworkSettings.Networks[net]!.Aliases, ['svc2']);
  await c.remove();
  await t.docker.getNetwork(net).remove();
});

test('docker system df works, and swarm endpoints answer 503 as a Docker Engine outside a swarm does', async () => {
  const df = await t.cli(['system', 'df', '--format', '{{.Type}}']);
  assert.equal(df.code, 0, df.stderr);
  assert.deepEqual(df.stdout.trim().split('\n'), ['Images', 'Containers', 'Local Volumes', 'Build Cache']);
  const leave = await t.cli(['swarm', 'leave']);
  assert.notEqual(leave.code, 0);
  assert.match(leave.stderr, /This node is not part of a swarm/);
  const services = await t.cli(['service', 'ls']);
  assert.match(services.stderr, /This node is not a swarm manager/);
});

test('docker exec as an unknown user fails with the reason instead of hanging', async () => {
  const c = await t.docker.createContainer({
    Image: BUSYBOX,
    name: unique('execuser'),
    Cmd: ['sleep', '300'],
    HostConfig: { NetworkMode: 'none' },
  });
  await c.start();
  try {
    const r = await t.cli(['exec', '-u', 'nosuchuser', c.id, 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /unable to find user nosuchuser/);
  } finally {
    await c.remove({ force: true });
  }
});
