// Every key the schema accepts either reaches `tscompose config` output or is refused with an error
// that names it and says tscompose does not support it yet: nothing is validated and then dropped.
// A key added to schemas/compose.schema.json fails the first test until it gets a sample here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadProject, serializeProject } from '../../../src/model/index.js';
import { withStack } from './stack-dir.js';

type Json = unknown;
type SchemaNode = {
  properties?: Record<string, SchemaNode>;
  oneOf?: SchemaNode[];
  type?: string | string[];
  items?: SchemaNode;
  patternProperties?: Record<string, SchemaNode>;
  $ref?: string;
};
const schema = JSON.parse(readFileSync(new URL('../../../schemas/compose.schema.json', import.meta.url), 'utf8')) as SchemaNode & {
  definitions: Record<string, SchemaNode>;
};
const defs = schema.definitions;
const objectBranch = (n: SchemaNode): SchemaNode => {
  if (n.$ref) return objectBranch(defs[n.$ref.split('/').pop()!]!);
  return n.oneOf?.find((o) => o.properties || o.patternProperties) ?? n;
};
const keysOf = (n: SchemaNode) => Object.keys(objectBranch(n).properties ?? {}).sort();

/** A sample: the stack (as JSON, which is YAML) and the path in the `config` output where it must show. */
interface Sample {
  stack: Json;
  out: (string | number)[];
}
const svc = (extra: Record<string, Json>, more: Record<string, Json> = {}): Json => ({
  services: { s: { image: 'x', ...extra } },
  ...more,
});
const serviceSample = (
  key: string,
  value: Json,
  out: (string | number)[] = ['services', 's', key],
  more: Record<string, Json> = {},
): Sample => ({ stack: svc({ [key]: value }, more), out });

const SERVICE: Record<string, Sample> = {
  annotations: serviceSample('annotations', { a: 'b' }),
  attach: serviceSample('attach', false),
  blkio_config: serviceSample('blkio_config', { weight: 300, device_read_bps: [{ path: '/dev/sda', rate: '1mb' }] }),
  build: { stack: { services: { s: { build: '.' } } }, out: ['services', 's', 'build'] },
  cap_add: serviceSample('cap_add', ['NET_ADMIN']),
  cap_drop: serviceSample('cap_drop', ['ALL']),
  cgroup: serviceSample('cgroup', 'private'),
  cgroup_parent: serviceSample('cgroup_parent', 'p'),
  command: serviceSample('command', 'echo hi'),
  configs: serviceSample('configs', ['c'], undefined, { configs: { c: { content: 'x' } } }),
  container_name: serviceSample('container_name', 'c'),
  cpu_count: serviceSample('cpu_count', 2),
  cpu_percent: serviceSample('cpu_percent', 50),
  cpu_period: serviceSample('cpu_period', 100000),
  cpu_quota: serviceSample('cpu_quota', 50000),
  cpu_rt_period: serviceSample('cpu_rt_period', '1400us'),
  cpu_rt_runtime: serviceSample('cpu_rt_runtime', '400ms'),
  cpu_shares: serviceSample('cpu_shares', 512),
  cpus: serviceSample('cpus', 1.5),
  cpuset: serviceSample('cpuset', '0-1'),
  credential_spec: serviceSample('credential_spec', { file: 'spec.json' }),
  depends_on: {
    stack: { services: { s: { image: 'x', depends_on: ['t'] }, t: { image: 'x' } } },
    out: ['services', 's', 'depends_on', 't'],
  },
  deploy: serviceSample('deploy', { replicas: 2 }),
  develop: serviceSample('develop', { watch: [{ path: '.', action: 'rebuild' }] }),
  device_cgroup_rules: serviceSample('device_cgroup_rules', ['c 1:3 mr']),
  devices: serviceSample('devices', ['/dev/null:/dev/nil:rw']),
  dns: serviceSample('dns', '8.8.8.8'),
  dns_opt: serviceSample('dns_opt', ['use-vc']),
  dns_search: serviceSample('dns_search', 'example.com'),
  domainname: serviceSample('domainname', 'example.com'),
  entrypoint: serviceSample('entrypoint', ['sh']),
  env_file: serviceSample('env_file', 'labels.txt', ['services', 's', 'environment', 'FROM_FILE']),
  environment: serviceSample('environment', { A: '1' }),
  expose: serviceSample('expose', [80]),
  extends: { stack: { services: { base: { image: 'x', user: 'u' }, s: { extends: 'base' } } }, out: ['services', 's', 'user'] },
  external_links: serviceSample('external_links', ['db:database']),
  extra_hosts: serviceSample('extra_hosts', ['h=1.2.3.4']),
  gpus: serviceSample('gpus', 'all'),
  group_add: serviceSample('group_add', ['audio', 1000]),
  healthcheck: serviceSample('healthcheck', { test: ['CMD', 'true'] }),
  hostname: serviceSample('hostname', 'h'),
  image: serviceSample('image', 'y'),
  init: serviceSample('init', true),
  ipc: serviceSample('ipc', 'host'),
  isolation: serviceSample('isolation', 'default'),
  label_file: serviceSample('label_file', 'labels.txt', ['services', 's', 'labels', 'FROM_FILE']),
  labels: serviceSample('labels', { a: 'b' }),
  links: { stack: { services: { s: { image: 'x', links: ['t'] }, t: { image: 'x' } } }, out: ['services', 's', 'links'] },
  logging: serviceSample('logging', { driver: 'json-file' }),
  mac_address: serviceSample('mac_address', '02:42:ac:11:00:02'),
  mem_limit: serviceSample('mem_limit', '1g'),
  mem_reservation: serviceSample('mem_reservation', '512m'),
  mem_swappiness: serviceSample('mem_swappiness', 10),
  models: serviceSample('models', ['m'], ['services', 's', 'models', 'm'], { models: { m: { model: 'ai/smollm2' } } }),
  memswap_limit: serviceSample('memswap_limit', '2g'),
  network_mode: serviceSample('network_mode', 'host'),
  networks: serviceSample('networks', ['n'], undefined, { networks: { n: {} } }),
  oom_kill_disable: serviceSample('oom_kill_disable', true),
  oom_score_adj: serviceSample('oom_score_adj', 100),
  pid: serviceSample('pid', 'host'),
  pids_limit: serviceSample('pids_limit', 10),
  platform: serviceSample('platform', 'linux/amd64'),
  ports: serviceSample('ports', ['80:80']),
  post_start: serviceSample('post_start', [{ command: 'echo hi' }]),
  pre_stop: serviceSample('pre_stop', [{ command: ['echo', 'bye'] }]),
  pre_start: serviceSample('pre_start', [{ image: 'alpine', command: 'echo init' }]),
  provider: serviceSample('provider', { type: 'example', options: { a: 1 } }),
  pull_refresh_after: serviceSample('pull_refresh_after', '1h'),
  use_api_socket: serviceSample('use_api_socket', true),
  privileged: serviceSample('privileged', true),
  profiles: serviceSample('profiles', ['p']),
  pull_policy: serviceSample('pull_policy', 'always'),
  read_only: serviceSample('read_only', true),
  restart: serviceSample('restart', 'always'),
  runtime: serviceSample('runtime', 'runc'),
  scale: serviceSample('scale', 2),
  secrets: serviceSample('secrets', ['k'], undefined, { secrets: { k: { file: './k' } } }),
  security_opt: serviceSample('security_opt', ['no-new-privileges']),
  shm_size: serviceSample('shm_size', '64m'),
  stdin_open: serviceSample('stdin_open', true),
  stop_grace_period: serviceSample('stop_grace_period', '5s'),
  stop_signal: serviceSample('stop_signal', 'SIGINT'),
  storage_opt: serviceSample('storage_opt', { size: '20G' }),
  sysctls: serviceSample('sysctls', { 'net.core.somaxconn': 1024 }),
  tmpfs: serviceSample('tmpfs', '/run'),
  tty: serviceSample('tty', true),
  ulimits: serviceSample('ulimits', { nofile: 1024 }),
  user: serviceSample('user', 'u'),
  userns_mode: serviceSample('userns_mode', 'host'),
  uts: serviceSample('uts', 'host'),
  volumes: serviceSample('volumes', ['/tmp:/data']),
  volumes_from: {
    stack: { services: { s: { image: 'x', volumes_from: ['t'] }, t: { image: 'x' } } },
    out: ['services', 's', 'volumes_from'],
  },
  working_dir: serviceSample('working_dir', '/w'),
};

const nested = (key: string, value: Json, out: (string | number)[], stack: (v: Json) => Json): Sample => ({
  stack: stack({ [key]: value }),
  out,
});
const buildSample = (key: string, value: Json, more: Record<string, Json> = {}) =>
  nested(key, value, ['services', 's', 'build', key], (v) => svc({ build: { context: '.', ...(v as object) } }, more));
const BUILD: Record<string, Sample> = {
  additional_contexts: buildSample('additional_contexts', { a: 'docker-image://alpine' }),
  args: buildSample('args', { A: '1' }),
  cache_from: buildSample('cache_from', ['a']),
  cache_to: buildSample('cache_to', ['type=inline']),
  context: buildSample('context', 'sub'),
  dockerfile: buildSample('dockerfile', 'Other.Dockerfile'),
  dockerfile_inline: buildSample('dockerfile_inline', 'FROM x'),
  entitlements: buildSample('entitlements', ['security.insecure']),
  provenance: buildSample('provenance', 'mode=max'),
  sbom: buildSample('sbom', true),
  extra_hosts: buildSample('extra_hosts', ['h=1.2.3.4']),
  isolation: buildSample('isolation', 'default'),
  labels: buildSample('labels', { a: 'b' }),
  network: buildSample('network', 'host'),
  no_cache: buildSample('no_cache', true),
  platforms: buildSample('platforms', ['linux/amd64']),
  privileged: buildSample('privileged', true),
  pull: buildSample('pull', true),
  secrets: buildSample('secrets', ['k'], { secrets: { k: { file: './k' } } }),
  shm_size: buildSample('shm_size', '64m'),
  ssh: buildSample('ssh', ['default']),
  tags: buildSample('tags', ['t']),
  target: buildSample('target', 'stage'),
  ulimits: buildSample('ulimits', { nofile: 1024 }),
};

const deploySample = (key: string, value: Json, out: (string | number)[] = ['services', 's', 'deploy', key]) =>
  nested(key, value, out, (v) => svc({ deploy: v }));
const DEPLOY: Record<string, Sample> = {
  endpoint_mode: deploySample('endpoint_mode', 'vip'),
  labels: deploySample('labels', { a: 'b' }),
  mode: deploySample('mode', 'replicated'),
  placement: deploySample('placement', { constraints: ['node.role==manager'] }),
  replicas: deploySample('replicas', 2),
  resources: deploySample('resources', { limits: { cpus: '1' } }),
  restart_policy: deploySample('restart_policy', { condition: 'any' }),
  rollback_config: deploySample('rollback_config', { parallelism: 1 }),
  update_config: deploySample('update_config', { parallelism: 2 }),
};
const resSample = (kind: string, key: string, value: Json) =>
  nested(key, value, ['services', 's', 'deploy', 'resources', kind, key], (v) => svc({ deploy: { resources: { [kind]: v } } }));
const LIMITS: Record<string, Sample> = {
  cpus: resSample('limits', 'cpus', 1),
  memory: resSample('limits', 'memory', '1g'),
  pids: resSample('limits', 'pids', 5),
};
const RESERVATIONS: Record<string, Sample> = {
  cpus: resSample('reservations', 'cpus', 1),
  memory: resSample('reservations', 'memory', '1g'),
  devices: resSample('reservations', 'devices', [{ capabilities: ['gpu'], count: 1 }]),
  generic_resources: resSample('reservations', 'generic_resources', [{ discrete_resource_spec: { kind: 'gpu', value: 1 } }]),
};
const netSample = (key: string, value: Json) =>
  nested(key, value, ['services', 's', 'networks', 'n', key], (v) => svc({ networks: { n: v } }, { networks: { n: {} } }));
const SERVICE_NETWORK: Record<string, Sample> = {
  aliases: netSample('aliases', ['a']),
  driver_opts: netSample('driver_opts', { 'com.example.opt': 'x' }),
  gw_priority: netSample('gw_priority', 10),
  interface_name: netSample('interface_name', 'eth7'),
  ipv4_address: netSample('ipv4_address', '10.0.0.5'),
  ipv6_address: netSample('ipv6_address', 'fd00::5'),
  link_local_ips: netSample('link_local_ips', ['169.254.1.2']),
  mac_address: netSample('mac_address', '02:42:ac:11:00:02'),
  priority: netSample('priority', 5),
};
const mountSample = (key: string, value: Json, base: Record<string, Json>) =>
  nested(key, value, ['services', 's', 'volumes', 0, key], (v) => svc({ volumes: [{ ...base, ...(v as object) }] }));
const BIND = { type: 'bind', source: '/tmp', target: '/data' };
const VOLUME_MOUNT: Record<string, Sample> = {
  bind: mountSample('bind', { propagation: 'rprivate' }, BIND),
  consistency: mountSample('consistency', 'cached', BIND),
  image: mountSample('image', { subpath: 'etc' }, { type: 'image', source: 'alpine', target: '/img' }),
  read_only: mountSample('read_only', true, BIND),
  source: mountSample('source', '/tmp', { type: 'bind', target: '/data' }),
  target: mountSample('target', '/data', { type: 'bind', source: '/tmp' }),
  tmpfs: mountSample('tmpfs', { size: '1m' }, { type: 'tmpfs', target: '/t' }),
  type: mountSample('type', 'bind', { source: '/tmp', target: '/data' }),
  volume: mountSample('volume', { nocopy: true }, { type: 'volume', target: '/v' }),
};
const bindSample = (key: string, value: Json) =>
  nested(key, value, ['services', 's', 'volumes', 0, 'bind', key], (v) => svc({ volumes: [{ ...BIND, bind: v }] }));
const BIND_OPTIONS: Record<string, Sample> = {
  create_host_path: bindSample('create_host_path', true),
  propagation: bindSample('propagation', 'rshared'),
  recursive: bindSample('recursive', 'readonly'),
  selinux: bindSample('selinux', 'z'),
};
const topSample = (kind: string, key: string, value: Json, base: Record<string, Json> = {}): Sample => ({
  stack: { services: { s: { image: 'x', [kind]: kind === 'volumes' ? ['r:/data'] : ['r'] } }, [kind]: { r: { ...base, [key]: value } } },
  out: [kind, 'r', key === 'external' ? 'external' : key],
});
const NETWORK: Record<string, Sample> = {
  attachable: topSample('networks', 'attachable', true),
  driver: topSample('networks', 'driver', 'bridge'),
  driver_opts: topSample('networks', 'driver_opts', { a: 'b' }),
  enable_ipv4: topSample('networks', 'enable_ipv4', false),
  enable_ipv6: topSample('networks', 'enable_ipv6', true),
  external: topSample('networks', 'external', true),
  internal: topSample('networks', 'internal', true),
  ipam: topSample('networks', 'ipam', { config: [{ subnet: '10.5.0.0/16' }] }),
  labels: topSample('networks', 'labels', { a: 'b' }),
  name: topSample('networks', 'name', 'nn'),
};
const VOLUME: Record<string, Sample> = {
  driver: topSample('volumes', 'driver', 'local'),
  driver_opts: topSample('volumes', 'driver_opts', { a: 'b' }),
  external: topSample('volumes', 'external', true),
  labels: topSample('volumes', 'labels', { a: 'b' }),
  name: topSample('volumes', 'name', 'vv'),
};
const volumeOptSample = (key: string, value: Json) =>
  nested(key, value, ['services', 's', 'volumes', 0, 'volume', key], (v) =>
    svc({ volumes: [{ type: 'volume', target: '/v', volume: v }] }),
  );
const VOLUME_OPTIONS: Record<string, Sample> = {
  labels: volumeOptSample('labels', { a: 'b' }),
  nocopy: volumeOptSample('nocopy', true),
  subpath: volumeOptSample('subpath', 'sub'),
};
const MODEL: Record<string, Sample> = Object.fromEntries(
  (
    [
      ['name', 'n'],
      ['model', 'ai/smollm2'],
      ['context_size', 4096],
      ['runtime_flags', ['--verbose']],
    ] as [string, Json][]
  ).map(([k, v]) => [
    k,
    { stack: { services: { s: { image: 'x', models: ['m'] } }, models: { m: { model: 'ai/x', [k]: v } } }, out: ['models', 'm', k] },
  ]),
);
const TOP: Record<string, Sample> = {
  configs: topSample('configs', 'content', 'c'),
  include: { stack: { include: ['other.yaml'], services: {} }, out: ['services', 'o'] },
  models: MODEL.model!,
  name: { stack: { name: 'myproj', services: { s: { image: 'x' } } }, out: ['name'] },
  networks: topSample('networks', 'driver', 'bridge'),
  secrets: topSample('secrets', 'file', './f'),
  services: serviceSample('image', 'x'),
  version: { stack: { version: '3', services: { s: { image: 'x' } } }, out: ['services', 's'] },
  volumes: topSample('volumes', 'driver', 'local'),
};
const FILE = { file: './f' };
const SECRET: Record<string, Sample> = {
  driver: topSample('secrets', 'driver', 'd', FILE),
  driver_opts: topSample('secrets', 'driver_opts', { a: 'b' }, FILE),
  environment: topSample('secrets', 'environment', 'E'),
  external: topSample('secrets', 'external', true),
  file: topSample('secrets', 'file', './f'),
  labels: topSample('secrets', 'labels', { a: 'b' }, FILE),
  name: topSample('secrets', 'name', 'n', FILE),
  template_driver: topSample('secrets', 'template_driver', 'golang', FILE),
};
const CONFIG: Record<string, Sample> = {
  content: topSample('configs', 'content', 'c'),
  environment: topSample('configs', 'environment', 'E'),
  external: topSample('configs', 'external', true),
  file: topSample('configs', 'file', './f'),
  labels: topSample('configs', 'labels', { a: 'b' }, FILE),
  name: topSample('configs', 'name', 'n', FILE),
  template_driver: topSample('configs', 'template_driver', 'golang', FILE),
};

const SECTIONS: [string, SchemaNode, Record<string, Sample>][] = [
  ['service', defs.service!, SERVICE],
  ['build', defs.build!, BUILD],
  ['deploy', defs.deploy!, DEPLOY],
  ['deploy.resources.limits', objectBranch(defs.deploy!).properties!.resources!.properties!.limits!, LIMITS],
  ['deploy.resources.reservations', objectBranch(defs.deploy!).properties!.resources!.properties!.reservations!, RESERVATIONS],
  ['service network', Object.values(objectBranch(defs.serviceNetworks!).patternProperties!)[0]!, SERVICE_NETWORK],
  ['service volume', defs.serviceVolume!, VOLUME_MOUNT],
  ['service volume bind', objectBranch(defs.serviceVolume!).properties!.bind!, BIND_OPTIONS],
  ['service volume volume', objectBranch(defs.serviceVolume!).properties!.volume!, VOLUME_OPTIONS],
  ['model', defs.model!, MODEL],
  ['top level', schema, TOP],
  ['network', defs.network!, NETWORK],
  ['volume', defs.volume!, VOLUME],
  ['secret', defs.secret!, SECRET],
  ['config', defs.config!, CONFIG],
];

test('every schema key has a sample in this test', () => {
  for (const [name, node, samples] of SECTIONS) assert.deepEqual(Object.keys(samples).sort(), keysOf(node), `${name} keys`);
});

const get = (doc: unknown, path: (string | number)[]): unknown =>
  path.reduce<unknown>((d, k) => (d && typeof d === 'object' ? (d as Record<string, unknown>)[k] : undefined), doc);

for (const [section, , samples] of SECTIONS) {
  test(`${section} keys reach the config output or are refused as not supported`, async () => {
    const missing: string[] = [];
    for (const [key, sample] of Object.entries(samples)) {
      await withStack(
        {
          'compose.yaml': JSON.stringify(sample.stack),
          'labels.txt': 'FROM_FILE=1\n',
          'other.yaml': 'services:\n  o:\n    image: x\n',
          f: 'x',
          k: 'y',
          'spec.json': '{}',
        },
        async (dir) => {
          try {
            const doc = serializeProject(await loadProject({ cwd: dir, environment: { E: 'e', COMPOSE_PROFILES: 'p' } }));
            if (get(doc, sample.out) === undefined)
              missing.push(`${key}: not at ${sample.out.join('.')} in ${JSON.stringify(doc.services)}`);
          } catch (err) {
            const msg = (err as Error).message;
            if (!(msg.includes(key) && /tscompose does not support .* yet/.test(msg))) missing.push(`${key}: ${msg}`);
          }
        },
      );
    }
    assert.deepEqual(missing, []);
  });
}
