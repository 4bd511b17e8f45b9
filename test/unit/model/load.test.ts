import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadProject } from '../../../src/model/index.js';
import { withStack } from './stack-dir.js';

test('discovers compose.yaml and its override file, merging them', () =>
  withStack(
    {
      'compose.yaml': 'services:\n  web:\n    image: nginx\n    environment: [A=1]\n    ports: ["8080:80"]\n',
      'compose.override.yaml': 'services:\n  web:\n    environment:\n      B: "2"\n    ports: ["9090:90"]\n',
    },
    async (dir) => {
      const p = await loadProject({ cwd: dir, environment: {} });
      assert.equal(p.name, 'proj');
      assert.deepEqual(p.configFiles, [path.join(dir, 'compose.yaml'), path.join(dir, 'compose.override.yaml')]);
      assert.deepEqual(p.services.web!.environment, { A: '1', B: '2' });
      assert.deepEqual(
        p.services.web!.ports.map((x) => x.published),
        ['8080', '9090'],
      );
    },
  ));

test('finds docker-compose.yml in a parent directory', () =>
  withStack({ 'docker-compose.yml': 'services:\n  a:\n    image: x\n', 'sub/deeper/.keep': '' }, async (dir) => {
    const p = await loadProject({ cwd: path.join(dir, 'sub', 'deeper'), environment: {} });
    assert.deepEqual(Object.keys(p.services), ['a']);
    assert.equal(p.workingDir, dir);
  }));

test('a missing stack file is a user error', () =>
  withStack({}, async (dir) => {
    await assert.rejects(loadProject({ cwd: dir, environment: {} }), /no configuration file provided/);
    await assert.rejects(loadProject({ cwd: dir, files: ['nope.yaml'], environment: {} }), /nope\.yaml not found/);
  }));

test('-f files merge in order: scalars replaced, commands replaced, volumes by target, !reset and !override', () =>
  withStack(
    {
      'a.yaml': [
        'services:',
        '  web:',
        '    image: one',
        '    command: [run, a]',
        '    volumes: ["./a:/data", "./logs:/logs"]',
        '    dns: [1.1.1.1]',
        '    labels: {keep: "1", drop: "2"}',
        '    ports: ["80:80"]',
        '',
      ].join('\n'),
      'b.yaml': [
        'services:',
        '  web:',
        '    image: two',
        '    command: serve --fast',
        '    volumes: ["./b:/data"]',
        '    dns: [8.8.8.8]',
        '    labels:',
        '      drop: !reset null',
        '    ports: !override ["443:443"]',
        '',
      ].join('\n'),
    },
    async (dir) => {
      const p = await loadProject({ cwd: dir, files: ['a.yaml', 'b.yaml'], environment: {} });
      const web = p.services.web!;
      assert.equal(web.image, 'two');
      assert.deepEqual(web.command, ['serve', '--fast']);
      assert.deepEqual(
        web.volumes.map((v) => [v.source, v.target]),
        [
          [path.join(dir, 'b'), '/data'],
          [path.join(dir, 'logs'), '/logs'],
        ],
      );
      assert.deepEqual(web.dns, ['1.1.1.1', '8.8.8.8']);
      assert.deepEqual(web.labels, { keep: '1' });
      assert.deepEqual(
        web.ports.map((x) => x.published),
        ['443'],
      );
    },
  ));

test('-f - reads the stack from stdin', async () => {
  const p = await loadProject({
    files: ['-'],
    stdin: 'services:\n  s:\n    image: busybox\n',
    cwd: '/tmp',
    projectName: 'fromstdin',
    environment: {},
  });
  assert.deepEqual(Object.keys(p.services), ['s']);
  assert.equal(p.name, 'fromstdin');
});

test('project name: -p, then COMPOSE_PROJECT_NAME, then name:, then the sanitised directory name', () =>
  withStack(
    { 'compose.yaml': 'services:\n  a:\n    image: x\n' },
    async (dir) => {
      assert.equal((await loadProject({ cwd: dir, environment: {} })).name, 'myapp-1');
      assert.equal((await loadProject({ cwd: dir, environment: { COMPOSE_PROJECT_NAME: 'fromenv' } })).name, 'fromenv');
      assert.equal((await loadProject({ cwd: dir, projectName: 'flag', environment: { COMPOSE_PROJECT_NAME: 'fromenv' } })).name, 'flag');
      await assert.rejects(
        loadProject({ cwd: dir, projectName: 'Bad Name', environment: {} }),
        /invalid project name "Bad Name" \(from -p\)/,
      );
    },
    'My.App-1',
  ));

test('top-level name: is used and can be interpolated', () =>
  withStack({ 'compose.yaml': 'name: ${STACK:-demo}\nservices:\n  a:\n    image: x\n' }, async (dir) => {
    assert.equal((await loadProject({ cwd: dir, environment: {} })).name, 'demo');
    assert.equal((await loadProject({ cwd: dir, environment: { STACK: 'other' } })).name, 'other');
  }));

test('interpolation: shell environment overrides .env, --env-file replaces .env', () =>
  withStack(
    {
      'compose.yaml': 'services:\n  a:\n    image: "img:${TAG}"\n    environment:\n      X: ${X:-none}\n      LIT: "$$HOME"\n',
      '.env': 'TAG=fromdotenv\nX=${TAG}-x\n',
      'other.env': 'TAG=fromother\n',
    },
    async (dir) => {
      let p = await loadProject({ cwd: dir, environment: {} });
      assert.equal(p.services.a!.image, 'img:fromdotenv');
      assert.equal(p.services.a!.environment.X, 'fromdotenv-x');
      assert.equal(p.services.a!.environment.LIT, '$HOME');
      p = await loadProject({ cwd: dir, environment: { TAG: 'fromshell' } });
      assert.equal(p.services.a!.image, 'img:fromshell');
      p = await loadProject({ cwd: dir, envFiles: ['other.env'], environment: {} });
      assert.equal(p.services.a!.image, 'img:fromother');
      assert.equal(p.services.a!.environment.X, 'none');
    },
  ));

test('an unset variable becomes empty with a warning; --no-interpolate keeps the text', () =>
  withStack({ 'compose.yaml': 'services:\n  a:\n    image: "img${NOPE}"\n' }, async (dir) => {
    const p = await loadProject({ cwd: dir, environment: {} });
    assert.equal(p.services.a!.image, 'img');
    assert.match(p.warnings!.join('\n'), /"NOPE" variable is not set/);
    const raw = await loadProject({ cwd: dir, environment: {}, interpolate: false });
    assert.equal(raw.services.a!.image, 'img${NOPE}');
  }));

test('service env_file entries load relative to the file, required and optional forms', () =>
  withStack(
    {
      'compose.yaml': [
        'services:',
        '  a:',
        '    image: x',
        '    env_file:',
        '      - conf/app.env',
        '      - path: conf/missing.env',
        '        required: false',
        '    environment:',
        '      OVERRIDE: from-compose',
        '',
      ].join('\n'),
      'conf/app.env': 'FROM_FILE=1\nOVERRIDE=from-file\n',
    },
    async (dir) => {
      const p = await loadProject({ cwd: dir, environment: {} });
      assert.deepEqual(p.services.a!.environment, { FROM_FILE: '1', OVERRIDE: 'from-compose' });
      assert.deepEqual(p.services.a!.envFiles, [
        { path: path.join(dir, 'conf/app.env'), required: true },
        { path: path.join(dir, 'conf/missing.env'), required: false },
      ]);
    },
  ));

test('a missing required env_file is an error with its position', () =>
  withStack({ 'compose.yaml': 'services:\n  a:\n    image: x\n    env_file: [gone.env]\n' }, async (dir) => {
    await assert.rejects(loadProject({ cwd: dir, environment: {} }), (e: Error) => {
      assert.match(e.message, /compose\.yaml:4:16: services\.a\.env_file\[0\]: env file .*gone\.env not found/);
      return true;
    });
  }));

test('YAML anchors, merge keys and x- extensions', () =>
  withStack(
    {
      'compose.yaml': [
        'x-base: &base',
        '  image: busybox',
        '  restart: always',
        '  labels: {team: core}',
        'services:',
        '  one:',
        '    <<: *base',
        '    restart: "no"',
        '    x-note: hello',
        '  two: *base',
        '',
      ].join('\n'),
    },
    async (dir) => {
      const p = await loadProject({ cwd: dir, environment: {} });
      assert.equal(p.services.one!.image, 'busybox');
      assert.equal(p.services.one!.restart, 'no');
      assert.deepEqual(p.services.one!.extensions, { 'x-note': 'hello' });
      assert.equal(p.services.two!.restart, 'always');
      assert.deepEqual(p.extensions['x-base'], { image: 'busybox', restart: 'always', labels: { team: 'core' } });
    },
  ));

test('extends in the same file and from another file, with relative paths rebased', () =>
  withStack(
    {
      'compose.yaml': [
        'services:',
        '  base:',
        '    image: base',
        '    environment: {A: "1"}',
        '  child:',
        '    extends: base',
        '    environment: {B: "2"}',
        '  remote:',
        '    extends:',
        '      file: common/services.yaml',
        '      service: worker',
        '    command: [work, harder]',
        '',
      ].join('\n'),
      'common/services.yaml': [
        'services:',
        '  worker:',
        '    build: ./worker',
        '    volumes: ["./data:/data"]',
        '    env_file: worker.env',
        '    command: [work]',
        '',
      ].join('\n'),
      'common/worker.env': 'W=1\n',
    },
    async (dir) => {
      const p = await loadProject({ cwd: dir, environment: {} });
      assert.deepEqual(p.services.child!.environment, { A: '1', B: '2' });
      assert.equal(p.services.child!.image, 'base');
      const r = p.services.remote!;
      assert.equal(r.build!.context, path.join(dir, 'common/worker'));
      assert.equal(r.volumes[0]!.source, path.join(dir, 'common/data'));
      assert.deepEqual(r.environment, { W: '1' });
      assert.deepEqual(r.command, ['work', 'harder']);
    },
  ));

test('an extends cycle is an error that shows it', () =>
  withStack({ 'compose.yaml': 'services:\n  a:\n    image: x\n    extends: b\n  b:\n    image: y\n    extends: a\n' }, async (dir) => {
    await assert.rejects(loadProject({ cwd: dir, environment: {} }), /extends cycle: a → b → a/);
  }));

test('include brings in services and resources with paths relative to the included file', () =>
  withStack(
    {
      'compose.yaml': 'include:\n  - lib/db.yaml\nservices:\n  app:\n    image: app\n    depends_on: [db]\n',
      'lib/db.yaml':
        'services:\n  db:\n    image: postgres\n    volumes: ["./init:/docker-entrypoint-initdb.d", "pg:/var/lib/postgresql/data"]\nvolumes:\n  pg: {}\n',
    },
    async (dir) => {
      const p = await loadProject({ cwd: dir, environment: {} });
      assert.deepEqual(Object.keys(p.services).sort(), ['app', 'db']);
      assert.equal(p.services.db!.volumes[0]!.source, path.join(dir, 'lib/init'));
      assert.equal(p.volumes.pg!.name, 'proj_pg');
    },
  ));

test('include conflicts are errors', () =>
  withStack(
    {
      'compose.yaml': 'include: [other.yaml]\nservices:\n  db:\n    image: mine\n',
      'other.yaml': 'services:\n  db:\n    image: theirs\n',
    },
    async (dir) => {
      await assert.rejects(loadProject({ cwd: dir, environment: {} }), /compose\.yaml:3:3: services\.db: services\.db conflicts/);
    },
  ));

const profiled = {
  'compose.yaml': [
    'services:',
    '  web:',
    '    image: web',
    '  mock:',
    '    image: mock',
    '    profiles: [dev]',
    '    depends_on: [db]',
    '  db:',
    '    image: db',
    '    profiles: [dev]',
    '  admin:',
    '    image: admin',
    '    profiles: [debug]',
    '    depends_on: [db]',
    '',
  ].join('\n'),
};

test('profiles: unprofiled services always on, --profile and COMPOSE_PROFILES enable more', () =>
  withStack(profiled, async (dir) => {
    assert.deepEqual(Object.keys((await loadProject({ cwd: dir, environment: {} })).services), ['web']);
    assert.deepEqual(Object.keys((await loadProject({ cwd: dir, profiles: ['dev'], environment: {} })).services), ['db', 'mock', 'web']);
    assert.deepEqual(Object.keys((await loadProject({ cwd: dir, environment: { COMPOSE_PROFILES: 'dev,debug' } })).services), [
      'admin',
      'db',
      'mock',
      'web',
    ]);
    assert.deepEqual(Object.keys((await loadProject({ cwd: dir, profiles: ['*'], environment: {} })).services).length, 4);
  }));

test("profiles: a targeted service enables its profiles, but not its dependencies' other profiles", () =>
  withStack(profiled, async (dir) => {
    const p = await loadProject({ cwd: dir, services: ['mock'], environment: {} });
    assert.deepEqual(Object.keys(p.services), ['db', 'mock', 'web']);
    await assert.rejects(
      loadProject({ cwd: dir, services: ['admin'], environment: {} }),
      /service "admin" depends on service "db", which is disabled: enable one of its profiles \(dev\)/,
    );
  }));

test('COMPOSE_FILE selects files (":"-separated) when no -f is given', () =>
  withStack({ 'one.yaml': 'services:\n  a:\n    image: one\n', 'two.yaml': 'services:\n  a:\n    image: two\n' }, async (dir) => {
    const p = await loadProject({ cwd: dir, environment: { COMPOSE_FILE: 'one.yaml:two.yaml' } });
    assert.equal(p.services.a!.image, 'two');
  }));

test('--project-directory is where the stack file and .env are looked for', () =>
  withStack(
    { 'app/compose.yaml': 'services:\n  a:\n    image: "x:${TAG}"\n    volumes: [./data:/data]\n', 'app/.env': 'TAG=7\n' },
    async (dir) => {
      const p = await loadProject({ cwd: dir, projectDirectory: 'app', environment: {} });
      assert.equal(p.name, 'app');
      assert.equal(p.services.a!.image, 'x:7');
      assert.equal(p.services.a!.volumes[0]!.source, path.join(dir, 'app/data'));
    },
  ));

test('deploy.replicas and scale set Service.scale; names follow <project>_<key> unless name: or external', () =>
  withStack(
    {
      'compose.yaml': [
        'services:',
        '  a: {image: x, deploy: {replicas: 3}, networks: [n1, n2, n3], volumes: ["v1:/1", "v2:/2", "v3:/3"]}',
        '  b: {image: x, scale: 2, network_mode: host}',
        'networks: {n1: {}, n2: {name: custom}, n3: {external: true}}',
        'volumes: {v1: {}, v2: {name: custom-vol}, v3: {external: true}}',
        '',
      ].join('\n'),
    },
    async (dir) => {
      const p = await loadProject({ cwd: dir, environment: {} });
      assert.equal(p.services.a!.scale, 3);
      assert.equal(p.services.b!.scale, 2);
      assert.deepEqual(Object.keys(p.services.b!.networks), []);
      assert.deepEqual(
        Object.values(p.networks).map((n) => n.name),
        ['proj_n1', 'custom', 'n3'],
      );
      assert.deepEqual(
        Object.values(p.volumes).map((v) => v.name),
        ['proj_v1', 'custom-vol', 'v3'],
      );
      assert.equal(p.networks.default, undefined, 'no service needs the default network');
    },
  ));

test('merging list and map forms: environment, depends_on, build, healthcheck test replaced', () =>
  withStack(
    {
      'a.yaml':
        'services:\n  w:\n    build: ./w\n    environment: [A=1, B=1]\n    depends_on: [db]\n    healthcheck: {test: [CMD, a], retries: 3}\n  db: {image: db}\n  cache: {image: c}\n',
      'b.yaml':
        'services:\n  w:\n    build: {dockerfile: Alt.Dockerfile}\n    environment: {B: "2"}\n    depends_on: {cache: {condition: service_healthy}}\n    healthcheck: {test: curl x}\n',
    },
    async (dir) => {
      const w = (await loadProject({ cwd: dir, files: ['a.yaml', 'b.yaml'], environment: {} })).services.w!;
      assert.deepEqual(w.environment, { A: '1', B: '2' });
      assert.deepEqual(Object.keys(w.dependsOn).sort(), ['cache', 'db']);
      assert.equal(w.dependsOn.cache!.condition, 'service_healthy');
      assert.equal(w.build!.context, path.join(dir, 'w'));
      assert.equal(w.build!.dockerfile, 'Alt.Dockerfile');
      assert.deepEqual(w.healthcheck!.test, ['CMD-SHELL', 'curl x']);
      assert.equal(w.healthcheck!.retries, 3);
    },
  ));

test('interpolated numbers and booleans are converted to their types', () =>
  withStack(
    {
      'compose.yaml': [
        'services:',
        '  a:',
        '    image: x',
        '    privileged: ${PRIV:-true}',
        '    deploy: {replicas: "${N:-3}", resources: {limits: {cpus: "${CPUS:-1.5}", memory: 1g}}}',
        '    depends_on: {b: {condition: service_started, required: "${REQ:-false}"}}',
        '    ports: [{target: "${PORT:-80}", published: "${PUB:-8080}"}]',
        '  b: {image: y, profiles: [off]}',
        '',
      ].join('\n'),
    },
    async (dir) => {
      const p = await loadProject({ cwd: dir, environment: {} });
      const a = p.services.a!;
      assert.equal(a.privileged, true);
      assert.equal(a.scale, 3);
      assert.deepEqual(a.deploy!.resources!.limits, { cpus: 1.5, memory: 1024 ** 3, pids: undefined });
      assert.deepEqual(a.dependsOn, {}, 'an optional dependency on a disabled service is dropped');
      assert.match(p.warnings!.join('\n'), /service "a" depends on service "b", which is disabled/);
      assert.deepEqual(
        a.ports.map((x) => [x.target, x.published]),
        [[80, '8080']],
      );
    },
  ));

test('include with project_directory and env_file, and include cycles', () =>
  withStack(
    {
      'compose.yaml':
        'include:\n  - path: modules/api.yaml\n    project_directory: modules/root\n    env_file: modules/api.env\nservices:\n  web: {image: web}\n',
      'modules/api.yaml': 'services:\n  api:\n    image: "api:${API_TAG}"\n    volumes: ["./data:/data"]\n',
      'modules/api.env': 'API_TAG=9\n',
      'loop/a.yaml': 'include: [b.yaml]\nservices: {a: {image: a}}\n',
      'loop/b.yaml': 'include: [a.yaml]\nservices: {b: {image: b}}\n',
    },
    async (dir) => {
      const p = await loadProject({ cwd: dir, environment: {} });
      assert.equal(p.services.api!.image, 'api:9');
      assert.equal(p.services.api!.volumes[0]!.source, path.join(dir, 'modules/root/data'));
      await assert.rejects(
        loadProject({ cwd: dir, files: ['loop/a.yaml'], environment: {} }),
        /include cycle: a\.yaml → b\.yaml → a\.yaml/,
      );
    },
  ));

test('COMPOSE_PROFILES may come from .env', () =>
  withStack(
    { 'compose.yaml': 'services:\n  a: {image: x}\n  b: {image: y, profiles: [extra]}\n', '.env': 'COMPOSE_PROFILES=extra\n' },
    async (dir) => {
      assert.deepEqual(Object.keys((await loadProject({ cwd: dir, environment: {} })).services), ['a', 'b']);
    },
  ));

test('extends with !reset and !override in the extending service', () =>
  withStack(
    {
      'compose.yaml': [
        'services:',
        '  base: {image: x, ports: ["80:80"], environment: {A: "1", B: "2"}, dns: [1.1.1.1]}',
        '  child:',
        '    extends: base',
        '    ports: !reset []',
        '    environment: !override {C: "3"}',
        '    dns: [8.8.8.8]',
        '',
      ].join('\n'),
    },
    async (dir) => {
      const c = (await loadProject({ cwd: dir, environment: {} })).services.child!;
      assert.deepEqual(c.ports, []);
      assert.deepEqual(c.environment, { C: '3' });
      assert.deepEqual(c.dns, ['1.1.1.1', '8.8.8.8']);
    },
  ));

test('logging: same driver merges options, another driver replaces them', () =>
  withStack(
    {
      'a.yaml':
        'services:\n  s: {image: x, logging: {driver: json-file, options: {max-size: 1m}}}\n  t: {image: x, logging: {driver: json-file, options: {max-size: 1m}}}\n',
      'b.yaml': 'services:\n  s: {logging: {options: {max-file: "3"}}}\n  t: {logging: {driver: syslog, options: {tag: t}}}\n',
    },
    async (dir) => {
      const p = await loadProject({ cwd: dir, files: ['a.yaml', 'b.yaml'], environment: {} });
      assert.deepEqual(p.services.s!.logging, { driver: 'json-file', options: { 'max-size': '1m', 'max-file': '3' } });
      assert.deepEqual(p.services.t!.logging, { driver: 'syslog', options: { tag: 't' } });
    },
  ));

test('COMPOSE_FILE may come from .env', () =>
  withStack({ '.env': 'COMPOSE_FILE=stack/main.yaml\n', 'stack/main.yaml': 'services:\n  m:\n    image: x\n' }, async (dir) => {
    const p = await loadProject({ cwd: dir, environment: {} });
    assert.deepEqual(Object.keys(p.services), ['m']);
    assert.deepEqual(p.configFiles, [path.join(dir, 'stack/main.yaml')]);
  }));
