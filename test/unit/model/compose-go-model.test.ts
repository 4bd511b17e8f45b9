// Where the model follows compose-go: implicit dependencies, build args from the environment,
// raw env files, included services' build context, and details of the `config` output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadProject, serializeProject } from '../../../src/model/index.js';
import { withStack } from './stack-dir.js';

async function load(files: Record<string, string>, environment: Record<string, string> = {}) {
  return withStack(files, async (dir) => ({ dir, project: await loadProject({ cwd: dir, environment }) }));
}

test('links, network_mode/ipc/pid service: and volumes_from add an implicit depends_on', async () => {
  const { project } = await load({
    'compose.yaml':
      'services:\n  a:\n    image: x\n    links: ["l:alias"]\n    network_mode: service:n\n    ipc: service:i\n    volumes_from: ["v:ro", "container:c"]\n  l: {image: x}\n  n: {image: x}\n  i: {image: x}\n  v: {image: x}\n',
  });
  const deps = project.services.a!.dependsOn;
  assert.deepEqual(Object.keys(deps).sort(), ['i', 'l', 'n', 'v']);
  assert.deepEqual(deps.l, { condition: 'service_started', restart: true, required: true });
  assert.deepEqual(deps.v, { condition: 'service_started', restart: false, required: true });
});

test('an explicit depends_on is kept over the implicit one', async () => {
  const { project } = await load({
    'compose.yaml': 'services:\n  a:\n    image: x\n    links: [b]\n    depends_on: {b: {condition: service_healthy}}\n  b: {image: x}\n',
  });
  assert.equal(project.services.a!.dependsOn.b!.condition, 'service_healthy');
});

test('a build arg without a value takes the environment value, or stays unset', async () => {
  const { project } = await load(
    { 'compose.yaml': 'services:\n  a:\n    build:\n      context: .\n      args: [FROM_ENV, NOT_SET, GIVEN=1]\n' },
    { FROM_ENV: 'yes' },
  );
  assert.deepEqual(project.services.a!.build!.args, { FROM_ENV: 'yes', NOT_SET: null, GIVEN: '1' });
});

test('env_file with format: raw takes values as written', async () => {
  const { project } = await load({
    'compose.yaml': 'services:\n  a:\n    image: x\n    env_file:\n      - path: raw.env\n        format: raw\n',
    'raw.env': '# comment\nQUOTED="kept"\nDOLLAR=${NOT_INTERPOLATED}\nSPACES= a b \n',
  });
  assert.deepEqual(project.services.a!.environment, { QUOTED: '"kept"', DOLLAR: '${NOT_INTERPOLATED}', SPACES: ' a b ' });
});

test('an included service without a build context builds in the included project directory', async () => {
  const { dir, project } = await load({
    'compose.yaml': 'include:\n  - sub/compose.yaml\nservices:\n  top:\n    build:\n      dockerfile: Top.Dockerfile\n',
    'sub/compose.yaml': 'services:\n  inner:\n    build:\n      dockerfile: Inner.Dockerfile\n',
  });
  assert.equal(project.services.inner!.build!.context, path.join(dir, 'sub'));
  assert.equal(project.services.top!.build!.context, dir);
});

test('config output: if_not_present is missing, modes are octal strings, empty strings omitted, healthcheck {} kept, no invented create_host_path', async () => {
  const { project } = await load({
    'compose.yaml':
      'services:\n  a:\n    image: x\n    pull_policy: if_not_present\n    hostname: ""\n    healthcheck: {}\n    secrets: [{source: k, mode: 0440}]\n    volumes:\n      - {type: bind, source: /tmp, target: /t}\n      - /srv:/s\nsecrets:\n  k: {file: ./k}\n',
  });
  const s = serializeProject(project).services as Record<string, Record<string, unknown>>;
  const a = s.a!;
  assert.equal(a.pull_policy, 'missing');
  assert.equal('hostname' in a, false);
  assert.deepEqual(a.healthcheck, {});
  assert.deepEqual(a.secrets, [{ source: 'k', mode: '0440' }]);
  assert.deepEqual(a.volumes, [
    { type: 'bind', source: '/tmp', target: '/t' },
    { type: 'bind', source: '/srv', target: '/s', bind: { create_host_path: true } },
  ]);
});

test('duplicates in one file are merged as compose-go does, not refused', async () => {
  const { project } = await load(
    {
      'compose.yaml': [
        'services:',
        '  a:',
        '    image: x',
        '    cap_add: [NET_ADMIN, SYS_TIME, NET_ADMIN]',
        '    profiles: [p, p]',
        '    dns: [1.1.1.1, 1.1.1.1]',
        '    expose: ["80", "80"]',
        '    ports: ["8080:80", "8080:80"]',
        '    volumes: ["/one:/data", "/two:/data:ro"]',
        '    secrets: [k, {source: k, mode: 0400}]',
        'secrets:',
        '  k: {file: ./k}',
        '',
      ].join('\n'),
    },
    { COMPOSE_PROFILES: 'p' },
  );
  const s = project.services.a!;
  assert.deepEqual(s.capAdd, ['NET_ADMIN', 'SYS_TIME']);
  assert.deepEqual(s.profiles, ['p']);
  assert.deepEqual(s.dns, ['1.1.1.1']);
  assert.deepEqual(s.expose, ['80']);
  assert.equal(s.ports.length, 1);
  assert.deepEqual(
    s.volumes.map((v) => [v.source, v.target, v.readOnly]),
    [['/two', '/data', true]],
  );
  assert.deepEqual(s.secrets, [{ source: 'k', target: undefined, uid: undefined, gid: undefined, mode: 0o400 }]);
});

test('a variable repeated in a list-form environment keeps its first place and takes its last value, as in compose-go', async () => {
  const { project } = await load({
    'compose.yaml':
      'services:\n  a:\n    image: x\n    environment:\n      - A=1\n      - B=2\n      - A=3\n      - C=same\n      - C=same\n      - D\n      - D=set\n',
  });
  const env = project.services.a!.environment;
  assert.deepEqual(Object.entries(env), [
    ['A', '3'],
    ['B', '2'],
    ['C', 'same'],
    ['D', 'set'],
  ]);
});

test('after merging, a later duplicate keeps the position of errors in the file', async () => {
  await withStack({ 'compose.yaml': 'services:\n  a:\n    image: x\n    cap_add: [A, A]\n    volumes: [v:/d, w:/d]\n' }, async (dir) => {
    await assert.rejects(
      loadProject({ cwd: dir, environment: {} }),
      /compose\.yaml:5:\d+: services\.a\.volumes\[0\]: service "a" refers to undefined volume w/,
    );
  });
});

test('new model fields stay undefined when unused, so existing containers keep their config hash', async () => {
  const { project } = await load({
    'compose.yaml': 'services:\n  a:\n    image: x\n    networks: {n: {aliases: [b]}}\nnetworks:\n  n: {}\n',
  });
  const s = project.services.a! as unknown as Record<string, unknown>;
  for (const k of [
    'devices',
    'deviceCgroupRules',
    'groupAdd',
    'storageOpt',
    'externalLinks',
    'postStart',
    'preStop',
    'preStart',
    'models',
    'provider',
    'gpus',
  ])
    assert.equal(s[k], undefined, k);
  const n = project.services.a!.networks.n! as unknown as Record<string, unknown>;
  for (const k of ['linkLocalIps', 'driverOpts', 'gwPriority', 'interfaceName']) assert.equal(n[k], undefined, k);
});
