import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerSpec, restartPolicy } from '../../../src/reconcile/container-spec.js';
import { project, service } from './model-fixtures.js';
import type { Service } from '../../../src/model/types.js';

const spec = (s: Service, p = project([s]), containerOf: (svc: string) => string | undefined = () => undefined) =>
  containerSpec({
    project: p,
    service: s,
    number: 2,
    name: `demo-${s.name}-2`,
    configHash: 'h',
    imageId: 'sha256:i',
    env: { A: '1' },
    containerOf,
  });

test('labels, image, env, command and entrypoint', () => {
  const s = service('web', {
    command: ['httpd', '-f'],
    entrypoint: null,
    labels: { team: 'x' },
    build: { context: '/c', dockerfile: 'Dockerfile', args: {}, labels: {}, cacheFrom: [], extraHosts: [], tags: [], platforms: [] },
    image: undefined,
  });
  const c = spec(s).create;
  assert.equal(c.Image, 'demo-web');
  assert.deepEqual(c.Env, ['A=1']);
  assert.deepEqual(c.Cmd, ['httpd', '-f']);
  assert.deepEqual(c.Entrypoint, ['']);
  assert.equal(c.Labels!['com.docker.compose.project'], 'demo');
  assert.equal(c.Labels!['com.docker.compose.service'], 'web');
  assert.equal(c.Labels!['com.docker.compose.container-number'], '2');
  assert.equal(c.Labels!['com.docker.compose.oneoff'], 'False');
  assert.equal(c.Labels!['com.docker.compose.config-hash'], 'h');
  assert.equal(c.Labels!['com.docker.compose.project.working_dir'], '/srv/demo');
  assert.equal(c.Labels!['com.docker.compose.project.config_files'], '/srv/demo/compose.yaml');
  assert.equal(c.Labels!['com.docker.compose.image'], 'sha256:i');
  assert.equal(c.Labels!.team, 'x');
});

test('ports become PortBindings and ExposedPorts', () => {
  const s = service('web', {
    ports: [
      { target: 80, published: '8080', hostIp: '127.0.0.1', protocol: 'tcp', mode: 'ingress' },
      { target: 53, protocol: 'udp', mode: 'ingress' },
    ],
    expose: ['9000'],
  });
  const c = spec(s).create;
  assert.deepEqual(c.HostConfig!.PortBindings, {
    '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }],
    '53/udp': [{ HostIp: '', HostPort: '' }],
  });
  assert.deepEqual(Object.keys(c.ExposedPorts!).sort(), ['53/udp', '80/tcp', '9000/tcp']);
});

test('volumes become Mounts with project-scoped volume names; tmpfs both ways', () => {
  const s = service('db', {
    volumes: [
      { type: 'volume', source: 'data', target: '/var/lib/db', readOnly: false },
      { type: 'bind', source: '/etc/app', target: '/cfg', readOnly: true },
      { type: 'volume', target: '/anon', readOnly: false },
      { type: 'tmpfs', target: '/scratch', readOnly: false, tmpfs: { size: 1024 } },
    ],
    tmpfs: ['/run:size=64k'],
  });
  const c = spec(s).create;
  assert.deepEqual(c.HostConfig!.Mounts, [
    { Type: 'volume', Target: '/var/lib/db', ReadOnly: false, Source: 'demo_data' },
    { Type: 'bind', Source: '/etc/app', Target: '/cfg', ReadOnly: true },
    { Type: 'volume', Target: '/anon', ReadOnly: false },
    { Type: 'tmpfs', Target: '/scratch', ReadOnly: false, TmpfsOptions: { SizeBytes: 1024 } },
  ]);
  assert.deepEqual(c.HostConfig!.Tmpfs, { '/run': 'size=64k' });
});

test('networks: first in create with aliases, the rest connected later', () => {
  const s = service('api', { networks: { front: { aliases: ['api.local'] }, back: null } });
  const { create, extraNetworks } = spec(s);
  assert.equal(create.HostConfig!.NetworkMode, 'demo_front');
  assert.deepEqual(create.NetworkingConfig!.EndpointsConfig, { demo_front: { Aliases: ['api', 'api.local'] } });
  assert.deepEqual(extraNetworks, [{ name: 'demo_back', endpoint: { Aliases: ['api'] } }]);
  assert.equal(spec(service('plain')).create.HostConfig!.NetworkMode, 'demo_default');
});

test("network_mode service:x points at that service's container", () => {
  const s = service('side', { networkMode: 'service:web' });
  const c = spec(s, project([s, service('web')]), (svc) => (svc === 'web' ? 'abc123' : undefined)).create;
  assert.equal(c.HostConfig!.NetworkMode, 'container:abc123');
  assert.equal(c.NetworkingConfig, undefined);
  assert.equal(spec(service('h', { networkMode: 'host' })).create.HostConfig!.NetworkMode, 'host');
});

test('healthcheck durations in nanoseconds; disable = NONE', () => {
  const s = service('web', {
    healthcheck: { disable: false, test: ['CMD', 'true'], interval: '1m30s', timeout: '500ms', retries: 3, startPeriod: '2s' },
  });
  assert.deepEqual(spec(s).create.Healthcheck, { Test: ['CMD', 'true'], Interval: 90e9, Timeout: 500e6, Retries: 3, StartPeriod: 2e9 });
  assert.deepEqual(spec(service('x', { healthcheck: { disable: true } })).create.Healthcheck, { Test: ['NONE'] });
});

test('host config: restart, resources, ulimits, sysctls, hosts, dns, caps, and the rest', () => {
  const s = service('w', {
    restart: 'on-failure:3',
    cpus: 0.5,
    memLimit: 1 << 20,
    pidsLimit: 50,
    ulimits: { nofile: { soft: 100, hard: 200 } },
    sysctls: { 'net.core.somaxconn': '1024' },
    extraHosts: ['db=10.0.0.2'],
    dns: ['1.1.1.1'],
    capAdd: ['NET_ADMIN'],
    capDrop: ['ALL'],
    privileged: true,
    readOnly: true,
    user: '1000',
    workingDir: '/app',
    hostname: 'h',
    init: true,
    stopSignal: 'SIGINT',
    stopGracePeriod: '3s',
    shmSize: 4096,
    tty: true,
    stdinOpen: true,
    logging: { driver: 'json-file', options: { 'max-size': '1m' } },
    pid: 'host',
    ipc: 'shareable',
  });
  const c = spec(s).create;
  const h = c.HostConfig!;
  assert.deepEqual(h.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.equal(h.NanoCpus, 5e8);
  assert.equal(h.Memory, 1 << 20);
  assert.equal(h.PidsLimit, 50);
  assert.deepEqual(h.Ulimits, [{ Name: 'nofile', Soft: 100, Hard: 200 }]);
  assert.deepEqual(h.Sysctls, { 'net.core.somaxconn': '1024' });
  assert.deepEqual(h.ExtraHosts, ['db:10.0.0.2']);
  assert.deepEqual(h.Dns, ['1.1.1.1']);
  assert.deepEqual(
    [h.CapAdd, h.CapDrop, h.Privileged, h.ReadonlyRootfs, h.Init, h.ShmSize],
    [['NET_ADMIN'], ['ALL'], true, true, true, 4096],
  );
  assert.deepEqual(h.LogConfig, { Type: 'json-file', Config: { 'max-size': '1m' } });
  assert.deepEqual([h.PidMode, h.IpcMode], ['host', 'shareable']);
  assert.deepEqual(
    [c.User, c.WorkingDir, c.Hostname, c.StopSignal, c.StopTimeout, c.Tty, c.OpenStdin],
    ['1000', '/app', 'h', 'SIGINT', 3, true, true],
  );
});

test('restart policy from deploy.restart_policy when restart is unset', () => {
  assert.deepEqual(restartPolicy(service('a', { deploy: { labels: {}, restartPolicy: { condition: 'any' } } })), { Name: 'always' });
  assert.deepEqual(restartPolicy(service('a', { restart: 'no' })), { Name: '' });
  assert.equal(restartPolicy(service('a')), undefined);
});

test('security_opt: passed through; seccomp=<file> read relative to the project and sent as compact JSON; systempaths=unconfined', async () => {
  const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
  const dir = mkdtempSync('/tmp/tsc-secopt-');
  try {
    mkdirSync(`${dir}/profiles`);
    writeFileSync(`${dir}/profiles/app.json`, '{\n  "defaultAction": "SCMP_ACT_ALLOW",\n  "syscalls": []\n}\n');
    const s = service('web', {
      securityOpt: ['no-new-privileges:true', 'seccomp=profiles/app.json', 'label=disable', 'systempaths=unconfined'],
      capAdd: ['NET_ADMIN'],
      capDrop: ['ALL'],
      privileged: true,
    });
    const hc = spec(s, project([s], { workingDir: dir })).create.HostConfig as Record<string, unknown>;
    assert.deepEqual(hc.SecurityOpt, [
      'no-new-privileges:true',
      'seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}',
      'label=disable',
    ]);
    assert.deepEqual([hc.MaskedPaths, hc.ReadonlyPaths], [[], []]);
    assert.deepEqual([hc.CapAdd, hc.CapDrop, hc.Privileged], [['NET_ADMIN'], ['ALL'], true]);
    assert.deepEqual(spec(service('u', { securityOpt: ['seccomp=unconfined'] })).create.HostConfig!.SecurityOpt, ['seccomp=unconfined']);
    assert.equal(spec(service('n')).create.HostConfig!.SecurityOpt, undefined);
    assert.throws(() => spec(service('m', { securityOpt: ['seccomp=missing.json'] })), /opening seccomp profile \(missing.json\) failed/);
    assert.throws(() => spec(service('b', { securityOpt: ['bogus'] })), /Invalid security-opt: "bogus"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cgroup limits from the service: memswap_limit, cpu_shares, cpu_quota, cpu_period, cpuset', () => {
  const h = spec(
    service('w', { memLimit: 64 << 20, memswapLimit: 96 << 20, cpuShares: 512, cpuQuota: 20000, cpuPeriod: 50000, cpuset: '0-1' }),
  ).create.HostConfig!;
  assert.deepEqual(
    [h.Memory, h.MemorySwap, h.CpuShares, h.CpuQuota, h.CpuPeriod, h.CpusetCpus],
    [64 << 20, 96 << 20, 512, 20000, 50000, '0-1'],
  );
  const none = spec(service('w', {})).create.HostConfig!;
  assert.deepEqual(
    [none.MemorySwap, none.CpuShares, none.CpuQuota, none.CpuPeriod, none.CpusetCpus],
    [undefined, undefined, undefined, undefined, undefined],
  );
});

test('build keys no builder here honours are refused by name at up and before a build, isolation other than default too', async () => {
  const { unsupportedAtUp } = await import('../../../src/reconcile/container-spec.js');
  const { buildService } = await import('../../../src/reconcile/images.js');
  const build = { context: '/c', dockerfile: 'Dockerfile', args: {}, labels: {}, cacheFrom: [], extraHosts: [], tags: [], platforms: [] };
  const plain = service('web', { build, image: undefined });
  assert.equal(unsupportedAtUp(plain), undefined);
  assert.equal(
    unsupportedAtUp(service('web', { build: { ...build, isolation: 'default' }, isolation: 'default', image: undefined })),
    undefined,
  );
  const s = service('web', {
    build: { ...build, cacheTo: ['type=inline'], privileged: true, isolation: 'hyperv', ulimits: { nofile: 1024 } },
    isolation: 'process',
    image: undefined,
  });
  const message = unsupportedAtUp(s)!;
  for (const key of ['build.cache_to', 'build.privileged', 'build.isolation: hyperv', 'build.ulimits', 'isolation: process'])
    assert.ok(message.includes(key), `${key} in: ${message}`);
  assert.match(message, /tscompose does not support these keys yet/);
  // `tscompose build` refuses before the engine is asked anything
  const untouchable = new Proxy(
    {},
    {
      get() {
        throw new Error('the engine was called');
      },
    },
  );
  const progress = { update() {}, fail() {}, note() {}, async close() {} };
  await assert.rejects(
    buildService(untouchable as never, project([s]), service('web', { build: { ...build, privileged: true }, image: undefined }), progress),
    /service "web" uses build\.privileged: tscompose does not support this key yet when building images/,
  );
});
