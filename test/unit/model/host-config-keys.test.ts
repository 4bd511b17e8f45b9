// The keys that are plain pass-throughs reach the container create body; keys tscompose cannot
// honour yet are refused when a container would be created, naming them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadProject } from '../../../src/model/index.js';
import { containerSpec } from '../../../src/reconcile/container-spec.js';
import { withStack } from './stack-dir.js';

const STACK = `
services:
  s:
    image: x
    devices: ["/dev/null:/dev/nil:rw", "/dev/zero"]
    device_cgroup_rules: ["c 1:3 mr"]
    runtime: runc
    mac_address: "02:42:ac:11:00:02"
    group_add: [audio, 1000]
    cgroup: private
    cgroup_parent: parent
    cpu_shares: 512
    cpu_quota: 50000
    cpu_period: 100000
    cpu_rt_runtime: 400ms
    cpuset: "0-1"
    mem_reservation: 256m
    memswap_limit: 1g
    mem_swappiness: 10
    oom_score_adj: 100
    oom_kill_disable: true
    userns_mode: host
    uts: host
    storage_opt: { size: 20G }
    blkio_config:
      weight: 300
      weight_device: [{ path: /dev/sda, weight: 400 }]
      device_read_bps: [{ path: /dev/sda, rate: 1mb }]
      device_write_iops: [{ path: /dev/sda, rate: 30 }]
    external_links: ["db:database", other]
    networks:
      n:
        link_local_ips: [169.254.1.2]
        driver_opts: { a: b }
        gw_priority: 10
    volumes:
      - { type: bind, source: /tmp, target: /data, bind: { recursive: readonly } }
networks:
  n: {}
`;

async function specFor(yaml: string) {
  return withStack({ 'compose.yaml': yaml }, async (dir) => {
    const project = await loadProject({ cwd: dir, environment: {} });
    const service = project.services.s!;
    return containerSpec({ project, service, number: 1, name: 'p-s-1', configHash: 'h', env: {}, containerOf: () => undefined }).create;
  });
}

test('pass-through keys reach HostConfig and the endpoint', async () => {
  const c = await specFor(STACK);
  const h = c.HostConfig as Record<string, unknown>;
  assert.deepEqual(h.Devices, [
    { PathOnHost: '/dev/null', PathInContainer: '/dev/nil', CgroupPermissions: 'rw' },
    { PathOnHost: '/dev/zero', PathInContainer: '/dev/zero', CgroupPermissions: 'rwm' },
  ]);
  assert.deepEqual(h.DeviceCgroupRules, ['c 1:3 mr']);
  assert.equal(h.Runtime, 'runc');
  assert.deepEqual(h.GroupAdd, ['audio', '1000']);
  assert.equal(h.CgroupnsMode, 'private');
  assert.equal(h.CgroupParent, 'parent');
  assert.equal(h.CpuShares, 512);
  assert.equal(h.CpuQuota, 50000);
  assert.equal(h.CpuPeriod, 100000);
  assert.equal(h.CpuRealtimeRuntime, 400000);
  assert.equal(h.CpusetCpus, '0-1');
  assert.equal(h.MemoryReservation, 256 * 1024 ** 2);
  assert.equal(h.MemorySwap, 1024 ** 3);
  assert.equal(h.MemorySwappiness, 10);
  assert.equal(h.OomScoreAdj, 100);
  assert.equal(h.OomKillDisable, true);
  assert.equal(h.UsernsMode, 'host');
  assert.equal(h.UTSMode, 'host');
  assert.deepEqual(h.StorageOpt, { size: '20G' });
  assert.equal(h.BlkioWeight, 300);
  assert.deepEqual(h.BlkioWeightDevice, [{ Path: '/dev/sda', Weight: 400 }]);
  assert.deepEqual(h.BlkioDeviceReadBps, [{ Path: '/dev/sda', Rate: 1024 ** 2 }]);
  assert.deepEqual(h.BlkioDeviceWriteIOps, [{ Path: '/dev/sda', Rate: 30 }]);
  assert.deepEqual(h.Links, ['db:database', 'other:other']);
  assert.deepEqual((h.Mounts as { BindOptions?: unknown }[])[0]!.BindOptions, { ReadOnlyForceRecursive: true });
  const ep = Object.values(c.NetworkingConfig!.EndpointsConfig!)[0] as Record<string, unknown>;
  assert.equal(ep.MacAddress, '02:42:ac:11:00:02');
  assert.deepEqual(ep.IPAMConfig, { LinkLocalIPs: ['169.254.1.2'] });
  assert.deepEqual(ep.DriverOpts, { a: 'b' });
  assert.equal(ep.GwPriority, 10);
});

test('gpus, GPU reservations, hooks and credential_spec are refused at up, by name', async () => {
  const cases: [string, RegExp][] = [
    ['    gpus: all\n', /service "s" uses gpus: tscompose does not support this key yet/],
    [
      '    deploy:\n      resources:\n        reservations:\n          devices: [{ capabilities: [gpu] }]\n',
      /deploy\.resources\.reservations\.devices: tscompose does not support/,
    ],
    [
      '    post_start: [{ command: echo hi }]\n    pre_stop: [{ command: echo bye }]\n',
      /uses post_start, pre_stop: tscompose does not support these keys yet/,
    ],
    ['    credential_spec: { file: x.json }\n', /credential_spec: tscompose does not support/],
  ];
  for (const [extra, error] of cases) {
    await assert.rejects(specFor(`services:\n  s:\n    image: x\n${extra}`), error);
  }
});

test('interface_name and volume labels reach the create body; newer spec keys are refused at up', async () => {
  const c = await specFor(
    'services:\n  s:\n    image: x\n    networks:\n      default:\n        interface_name: eth7\n    volumes:\n      - { type: volume, source: v, target: /v, volume: { labels: { a: b } } }\nvolumes:\n  v: {}\n',
  );
  const ep = Object.values(c.NetworkingConfig!.EndpointsConfig!)[0] as Record<string, unknown>;
  assert.deepEqual(ep.DriverOpts, { 'com.docker.network.endpoint.ifname': 'eth7' });
  assert.deepEqual((c.HostConfig!.Mounts as { VolumeOptions?: unknown }[])[0]!.VolumeOptions, { Labels: { a: 'b' } });
  const cases: [string, RegExp][] = [
    ['    image: x\n    models: [m]\nmodels:\n  m: { model: ai/smollm2 }\n', /uses models: tscompose does not support/],
    ['    provider: { type: example }\n', /uses provider: tscompose does not support/],
    [
      '    image: x\n    use_api_socket: true\n    pull_refresh_after: 1h\n',
      /uses use_api_socket, pull_refresh_after: tscompose does not support these keys yet/,
    ],
    [
      '    build: { context: ., entitlements: [security.insecure], provenance: true, sbom: true }\n',
      /uses build\.entitlements, build\.provenance, build\.sbom: tscompose does not support/,
    ],
    ['    image: x\n    pre_start: [{ image: alpine, command: echo }]\n', /uses pre_start: tscompose does not support/],
    [
      '    image: x\n    volumes: [{ type: image, source: alpine, target: /img }]\n',
      /uses volumes of type image: tscompose does not support/,
    ],
  ];
  for (const [extra, error] of cases) await assert.rejects(specFor(`services:\n  s:\n${extra}`), error);
});
