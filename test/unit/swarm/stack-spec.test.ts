// The model → Swarm translation, from compose YAML through the real loader to the specs the API gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadProject } from '../../../src/model/index.js';
import { stackSpec, type StackInputs } from '../../../src/swarm/stack.js';
import { tmpfsMount } from '../../../src/swarm/service-spec.js';
import { specHash } from '../../../src/swarm/spec-hash.js';
import { contentHash } from '../../../src/swarm/objects.js';
import { notAManagerReason } from '../../../src/swarm/manager.js';
import type { SwarmServiceSpec } from '../../../src/swarm/spec-types.js';

const load = (yaml: string, environment: Record<string, string> = {}) =>
  loadProject({ files: ['-'], stdin: yaml, cwd: '/srv/shop', projectName: 'shop', environment });

const noData: StackInputs = { secretData: {}, configData: {} };
const byName = (specs: SwarmServiceSpec[], name: string) => specs.find((s) => s.Name === name)!;

test('services are <project>_<service> with docker stack labels, on the default overlay network', async () => {
  const stack = stackSpec(await load('services:\n  web:\n    image: reg:5000/web:1\n  db:\n    image: reg:5000/db:2\n'), noData);
  assert.deepEqual(
    stack.services.map((s) => s.Name),
    ['shop_db', 'shop_web'],
  );
  const web = byName(stack.services, 'shop_web');
  assert.equal(web.Labels['com.docker.stack.namespace'], 'shop');
  assert.equal(web.Labels['com.docker.stack.image'], 'reg:5000/web:1');
  assert.equal(web.TaskTemplate.ContainerSpec.Labels!['com.docker.stack.namespace'], 'shop');
  assert.deepEqual(web.TaskTemplate.Networks, [{ Target: 'shop_default', Aliases: ['web'] }]);
  assert.deepEqual(web.Mode, { Replicated: { Replicas: 1 } });
  assert.deepEqual(stack.networks, [
    { Name: 'shop_default', Driver: 'overlay', CheckDuplicate: true, Labels: { 'com.docker.stack.namespace': 'shop' } },
  ]);
});

test('a pinned image is deployed while the label keeps the reference as written', async () => {
  const stack = stackSpec(await load('services:\n  web:\n    image: reg:5000/web:1\n'), {
    ...noData,
    images: { web: 'reg:5000/web:1@sha256:abc' },
  });
  assert.equal(stack.services[0]!.TaskTemplate.ContainerSpec.Image, 'reg:5000/web:1@sha256:abc');
  assert.equal(stack.services[0]!.Labels['com.docker.stack.image'], 'reg:5000/web:1');
});

test('container settings: command, entrypoint, env, user, dir, hostname, dns, hosts, sysctls, ulimits, caps, init, stop', async () => {
  const stack = stackSpec(
    await load(`
services:
  app:
    image: app
    entrypoint: ["/bin/sh", "-c"]
    command: ["echo hi"]
    environment: {B: "2", A: "1"}
    user: "1000:1000"
    working_dir: /work
    hostname: app1
    dns: [10.0.0.2]
    dns_search: [corp]
    extra_hosts: ["db.local:10.1.1.1"]
    sysctls: {net.core.somaxconn: "1024"}
    ulimits: {nofile: {soft: 100, hard: 200}, nproc: 50}
    cap_add: [NET_ADMIN]
    cap_drop: [ALL]
    init: true
    read_only: true
    stop_grace_period: 1m30s
    stop_signal: SIGINT
    labels: {tier: front}
`),
    noData,
  );
  const c = stack.services[0]!.TaskTemplate.ContainerSpec;
  assert.deepEqual(c.Command, ['/bin/sh', '-c']);
  assert.deepEqual(c.Args, ['echo hi']);
  assert.deepEqual(c.Env, ['A=1', 'B=2']);
  assert.equal(c.User, '1000:1000');
  assert.equal(c.Dir, '/work');
  assert.equal(c.Hostname, 'app1');
  assert.deepEqual(c.DNSConfig, { Nameservers: ['10.0.0.2'], Search: ['corp'] });
  assert.deepEqual(c.Hosts, ['10.1.1.1 db.local']);
  assert.deepEqual(c.Sysctls, { 'net.core.somaxconn': '1024' });
  assert.deepEqual(c.Ulimits, [
    { Name: 'nofile', Soft: 100, Hard: 200 },
    { Name: 'nproc', Soft: 50, Hard: 50 },
  ]);
  assert.deepEqual([c.CapabilityAdd, c.CapabilityDrop], [['NET_ADMIN'], ['ALL']]);
  assert.equal(c.Init, true);
  assert.equal(c.ReadOnly, true);
  assert.equal(c.StopGracePeriod, 90e9);
  assert.equal(c.StopSignal, 'SIGINT');
  assert.equal(c.Labels!.tier, 'front');
});

test("resolved environments (env_file, pass-through) replace the model's explicit values", async () => {
  const stack = stackSpec(await load('services:\n  app:\n    image: app\n    environment: [A=1, PASSED]\n'), {
    ...noData,
    environments: { app: { A: '1', PASSED: 'x', FROM_FILE: 'y' } },
  });
  assert.deepEqual(stack.services[0]!.TaskTemplate.ContainerSpec.Env, ['A=1', 'FROM_FILE=y', 'PASSED=x']);
});

test('healthcheck durations are nanoseconds; disable is NONE', async () => {
  const stack = stackSpec(
    await load(`
services:
  a:
    image: a
    healthcheck: {test: ["CMD", "true"], interval: 2s, timeout: 500ms, retries: 3, start_period: 1m}
  b:
    image: b
    healthcheck: {disable: true}
`),
    noData,
  );
  assert.deepEqual(byName(stack.services, 'shop_a').TaskTemplate.ContainerSpec.HealthCheck, {
    Test: ['CMD', 'true'],
    Interval: 2e9,
    Timeout: 5e8,
    Retries: 3,
    StartPeriod: 60e9,
  });
  assert.deepEqual(byName(stack.services, 'shop_b').TaskTemplate.ContainerSpec.HealthCheck, { Test: ['NONE'] });
});

test('deploy: modes, placement, resources, restart policy, update and rollback config, endpoint mode, labels', async () => {
  const stack = stackSpec(
    await load(`
services:
  web:
    image: web
    deploy:
      replicas: 3
      labels: {team: a}
      endpoint_mode: dnsrr
      placement: {constraints: ["node.role==worker"], preferences: [{spread: node.labels.zone}], max_replicas_per_node: 1}
      resources:
        limits: {cpus: "0.5", memory: 64M, pids: 100}
        reservations: {cpus: "0.25", memory: 32M, generic_resources: [{discrete_resource_spec: {kind: gpu, value: 2}}, {named_resource_spec: {kind: ssd, value: fast}}]}
      restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 1m}
      update_config: {parallelism: 2, delay: 10s, failure_action: rollback, monitor: 30s, max_failure_ratio: 0.2, order: start-first}
      rollback_config: {parallelism: 1, order: stop-first}
  agent: {image: agent, deploy: {mode: global}}
  once: {image: once, deploy: {mode: replicated-job, replicas: 4}}
  everywhere-once: {image: e, deploy: {mode: global-job}}
`),
    noData,
  );
  const web = byName(stack.services, 'shop_web');
  assert.deepEqual(web.Mode, { Replicated: { Replicas: 3 } });
  assert.equal(web.Labels.team, 'a');
  assert.equal(web.EndpointSpec!.Mode, 'dnsrr');
  assert.deepEqual(web.TaskTemplate.Placement, {
    Constraints: ['node.role==worker'],
    Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }],
    MaxReplicas: 1,
  });
  assert.deepEqual(web.TaskTemplate.Resources, {
    Limits: { NanoCPUs: 5e8, MemoryBytes: 64 * 1024 * 1024, Pids: 100 },
    Reservations: {
      NanoCPUs: 2.5e8,
      MemoryBytes: 32 * 1024 * 1024,
      GenericResources: [{ DiscreteResourceSpec: { Kind: 'gpu', Value: 2 } }, { NamedResourceSpec: { Kind: 'ssd', Value: 'fast' } }],
    },
  });
  assert.deepEqual(web.TaskTemplate.RestartPolicy, { Condition: 'on-failure', Delay: 5e9, MaxAttempts: 3, Window: 60e9 });
  assert.deepEqual(web.UpdateConfig, {
    Parallelism: 2,
    Delay: 10e9,
    FailureAction: 'rollback',
    Monitor: 30e9,
    MaxFailureRatio: 0.2,
    Order: 'start-first',
  });
  assert.deepEqual(web.RollbackConfig, { Parallelism: 1, Order: 'stop-first' });
  assert.deepEqual(byName(stack.services, 'shop_agent').Mode, { Global: {} });
  assert.deepEqual(byName(stack.services, 'shop_once').Mode, { ReplicatedJob: { MaxConcurrent: 4, TotalCompletions: 4 } });
  assert.deepEqual(byName(stack.services, 'shop_everywhere-once').Mode, { GlobalJob: {} });
});

test('--scale overrides replicas; `restart:` becomes a restart policy when there is none', async () => {
  const stack = stackSpec(
    await load('services:\n  a: {image: a, restart: always}\n  b: {image: b, restart: "on-failure:4"}\n  c: {image: c, restart: "no"}\n'),
    { ...noData, scale: { a: 5 } },
  );
  assert.deepEqual(byName(stack.services, 'shop_a').Mode, { Replicated: { Replicas: 5 } });
  assert.deepEqual(byName(stack.services, 'shop_a').TaskTemplate.RestartPolicy, { Condition: 'any' });
  assert.deepEqual(byName(stack.services, 'shop_b').TaskTemplate.RestartPolicy, { Condition: 'on-failure', MaxAttempts: 4 });
  assert.deepEqual(byName(stack.services, 'shop_c').TaskTemplate.RestartPolicy, { Condition: 'none' });
});

test('ports: ingress (the VIP routing mesh) and host mode; dnsrr refuses ingress ports; ranges are refused', async () => {
  const stack = stackSpec(
    await load(
      'services:\n  web:\n    image: web\n    ports: ["8080:80", {target: 443, published: "8443", mode: host, protocol: tcp}, "53:53/udp"]\n',
    ),
    noData,
  );
  assert.deepEqual(stack.services[0]!.EndpointSpec, {
    Ports: [
      { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
      { Protocol: 'tcp', TargetPort: 443, PublishedPort: 8443, PublishMode: 'host' },
      { Protocol: 'udp', TargetPort: 53, PublishedPort: 53, PublishMode: 'ingress' },
    ],
  });
  const unpublished = stackSpec(await load('services:\n  web: {image: web, ports: ["80"]}\n'), noData);
  assert.deepEqual(unpublished.services[0]!.EndpointSpec!.Ports, [{ Protocol: 'tcp', TargetPort: 80, PublishMode: 'ingress' }]);
  await assert.rejects(
    async () => stackSpec(await load('services:\n  web: {image: web, ports: ["8080:80"], deploy: {endpoint_mode: dnsrr}}\n'), noData),
    /dnsrr cannot publish ports through the ingress.*mode: host/,
  );
  await assert.rejects(
    async () => stackSpec(await load('services:\n  web: {image: web, ports: [{target: 80, published: "9000-9001"}]}\n'), noData),
    /one port per target/,
  );
});

test('networks: overlay by default, aliases, external ones only checked, a local driver refused', async () => {
  const stack = stackSpec(
    await load(`
services:
  api:
    image: api
    networks: {back: {aliases: [backend]}, edge: {}}
networks:
  back: {attachable: true, internal: true, labels: {x: y}}
  edge: {external: true, name: public}
`),
    noData,
  );
  assert.deepEqual(stack.services[0]!.TaskTemplate.Networks, [
    { Target: 'shop_back', Aliases: ['api', 'backend'] },
    { Target: 'public', Aliases: ['api'] },
  ]);
  assert.deepEqual(stack.networks, [
    {
      Name: 'shop_back',
      Driver: 'overlay',
      CheckDuplicate: true,
      Internal: true,
      Attachable: true,
      Labels: { x: 'y', 'com.docker.stack.namespace': 'shop' },
    },
  ]);
  assert.deepEqual(stack.externalNetworks, ['public']);
  await assert.rejects(
    async () => stackSpec(await load('services:\n  a: {image: a}\nnetworks:\n  default: {driver: bridge}\n'), noData),
    /driver "bridge" is local to one node/,
  );
});

test('volumes: named volumes are mount templates with the stack label and driver; binds and tmpfs pass through', async () => {
  const stack = stackSpec(
    await load(`
services:
  db:
    image: db
    volumes: ["data:/var/lib/db", "/etc/hosts:/host-hosts:ro", {type: tmpfs, target: /scratch, tmpfs: {size: 1m}}, "ext:/ext", "/anon"]
    tmpfs: ["/run:size=64k,mode=1777"]
volumes:
  data: {driver: local, driver_opts: {type: none}, labels: {keep: "yes"}}
  ext: {external: true, name: shared}
`),
    noData,
  );
  assert.deepEqual(stack.services[0]!.TaskTemplate.ContainerSpec.Mounts, [
    {
      Type: 'volume',
      Source: 'shop_data',
      Target: '/var/lib/db',
      VolumeOptions: {
        Labels: { keep: 'yes', 'com.docker.stack.namespace': 'shop' },
        DriverConfig: { Name: 'local', Options: { type: 'none' } },
      },
    },
    { Type: 'bind', Source: '/etc/hosts', Target: '/host-hosts', ReadOnly: true },
    { Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 1024 * 1024 } },
    { Type: 'volume', Source: 'shared', Target: '/ext' },
    { Type: 'volume', Target: '/anon' },
    { Type: 'tmpfs', Target: '/run', TmpfsOptions: { SizeBytes: 64 * 1024, Mode: 0o1777 } },
  ]);
  assert.throws(() => tmpfsMount('/x:size=lots'), /invalid size/);
});

test('secrets and configs are named by content hash; a change of content changes only the services using it', async () => {
  const yaml = `
services:
  web: {image: web, secrets: [{source: key, target: api-key, mode: 0400}], configs: [site]}
  worker: {image: worker, secrets: [key]}
  other: {image: other}
secrets:
  key: {environment: API_KEY}
  outside: {external: true, name: vault-key}
configs:
  site: {content: "listen 80"}
`;
  const project = await load(yaml, { API_KEY: 'one' });
  const inputs = (key: string): StackInputs => ({ secretData: { key: Buffer.from(key) }, configData: { site: Buffer.from('listen 80') } });
  const first = stackSpec(project, inputs('one'));
  const secretName = `shop_key_${contentHash(Buffer.from('one'))}`;
  assert.deepEqual(
    first.secrets.map((s) => [s.Name, Buffer.from(s.Data, 'base64').toString(), s.Labels['com.docker.stack.namespace']]),
    [[secretName, 'one', 'shop']],
  );
  assert.deepEqual(
    first.configs.map((c) => c.Name),
    [`shop_site_${contentHash(Buffer.from('listen 80'))}`],
  );
  const web = byName(first.services, 'shop_web').TaskTemplate.ContainerSpec;
  assert.deepEqual(web.Secrets, [{ File: { Name: 'api-key', UID: '0', GID: '0', Mode: 0o400 }, SecretName: secretName }]);
  assert.deepEqual(web.Configs, [{ File: { Name: '/site', UID: '0', GID: '0', Mode: 0o444 }, ConfigName: first.configs[0]!.Name }]);

  const second = stackSpec(project, inputs('two'));
  const hash = (stack: typeof first, name: string) => byName(stack.services, name).Labels['com.tscompose.swarm.spec-hash'];
  assert.notEqual(hash(first, 'shop_web'), hash(second, 'shop_web'));
  assert.notEqual(hash(first, 'shop_worker'), hash(second, 'shop_worker'));
  assert.equal(hash(first, 'shop_other'), hash(second, 'shop_other'));
});

test('the spec hash ignores key order and is stable across runs', async () => {
  assert.equal(specHash({ a: 1, b: { c: [1, 2], d: undefined } }), specHash({ b: { c: [1, 2] }, a: 1 }));
  assert.notEqual(specHash({ a: [1, 2] }), specHash({ a: [2, 1] }));
  const yaml = 'services:\n  web: {image: web, environment: {A: "1"}}\n';
  assert.equal(
    stackSpec(await load(yaml), noData).services[0]!.Labels['com.tscompose.swarm.spec-hash'],
    stackSpec(await load(yaml), noData).services[0]!.Labels['com.tscompose.swarm.spec-hash'],
  );
});

test('what Swarm cannot do is one warning per key; a missing image is an error naming the service', async () => {
  const stack = stackSpec(
    await load(`
services:
  web:
    image: web
    build: .
    depends_on: [db]
    privileged: true
    container_name: fixed
  db: {image: db}
`),
    noData,
  );
  assert.deepEqual(stack.warnings, [
    'service "web": build is not supported by Swarm and is ignored (every node pulls the image: "up --build" builds and pushes it first)',
    'service "web": depends_on is not supported by Swarm and is ignored (swarm starts services in any order)',
    'service "web": container_name is not supported by Swarm and is ignored',
    'service "web": privileged is not supported by Swarm and is ignored',
  ]);
  // with up --build the image was built and pushed: build: is honoured, not reported
  const built = stackSpec(await load('services:\n  web: {image: reg:5000/web, build: .}\n'), { ...noData, built: true });
  assert.deepEqual(built.warnings, []);
  await assert.rejects(
    async () => stackSpec(await load('services:\n  web: {build: .}\n'), noData),
    /service "web": Swarm needs an image every node can pull/,
  );
  await assert.rejects(
    async () => stackSpec(await load('services:\n  web: {image: w, deploy: {mode: everywhere}}\n'), noData),
    /deploy.mode "everywhere"/,
  );
});

test('only the selected services, and the objects they use, are part of the stack', async () => {
  const stack = stackSpec(
    await load(`
services:
  a: {image: a, networks: [n1], configs: [c]}
  b: {image: b, networks: [n2]}
networks: {n1: {}, n2: {}}
configs: {c: {content: x}}
`),
    { secretData: {}, configData: { c: Buffer.from('x') }, services: ['b'] },
  );
  assert.deepEqual(
    stack.services.map((s) => s.Name),
    ['shop_b'],
  );
  assert.deepEqual(
    stack.networks.map((n) => n.Name),
    ['shop_n2'],
  );
  assert.deepEqual(stack.configs, []);
});

test('the manager check names what is wrong', () => {
  assert.match(notAManagerReason({ LocalNodeState: 'inactive' })!, /not part of an active swarm.*docker swarm init/);
  assert.match(notAManagerReason({ LocalNodeState: 'active', ControlAvailable: false })!, /worker, not a manager/);
  assert.match(notAManagerReason({ LocalNodeState: 'error', Error: 'rpc error' })!, /state "error", rpc error/);
  assert.equal(notAManagerReason({ LocalNodeState: 'active', ControlAvailable: true }), undefined);
});

test('a deploy.labels change is a new spec but the same task template (no task restarted)', async () => {
  const a = stackSpec(await load('services:\n  web: {image: web, deploy: {labels: {v: "1"}}}\n'), noData).services[0]!;
  const b = stackSpec(await load('services:\n  web: {image: web, deploy: {labels: {v: "2"}}}\n'), noData).services[0]!;
  const c = stackSpec(await load('services:\n  web: {image: web, deploy: {labels: {v: "2"}}, environment: {X: "1"}}\n'), noData)
    .services[0]!;
  const task = (s: typeof a) => s.TaskTemplate.ContainerSpec.Labels!['com.tscompose.swarm.task-hash'];
  assert.notEqual(a.Labels['com.tscompose.swarm.spec-hash'], b.Labels['com.tscompose.swarm.spec-hash']);
  assert.equal(task(a), task(b));
  assert.notEqual(task(b), task(c));
});
