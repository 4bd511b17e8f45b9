// Bad input gives one-paragraph UserErrors that name file:line:column and the key path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadProject } from '../../../src/model/index.js';
import { UserError } from '../../../src/errors.js';
import { withStack } from './stack-dir.js';

async function errorFor(files: Record<string, string>, opts: Parameters<typeof loadProject>[0] = {}): Promise<string> {
  return withStack(files, async (dir) => {
    try {
      await loadProject({ cwd: dir, environment: {}, ...opts });
    } catch (err) {
      assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
      assert.ok(!err.message.includes('\n'), 'one paragraph');
      return err.message.replaceAll(dir + '/', '');
    }
    assert.fail('expected an error');
  });
}

test('malformed YAML names the position', async () => {
  const msg = await errorFor({ 'compose.yaml': 'services:\n  web:\n    image: [unclosed\n' });
  assert.match(msg, /^compose\.yaml:\d+:\d+: invalid YAML: /);
});

test('duplicate keys are malformed YAML', async () => {
  assert.match(
    await errorFor({ 'compose.yaml': 'services:\n  a:\n    image: x\n    image: y\n' }),
    /^compose\.yaml:4:5: invalid YAML: Map keys must be unique/,
  );
});

test('duplicate keys in a flow mapping are malformed YAML; repeated merge keys are not', async () => {
  assert.match(
    await errorFor({ 'compose.yaml': 'services:\n  a: {image: x, command: y, image: z}\n' }),
    /^compose\.yaml:2:29: invalid YAML: Map keys must be unique/,
  );
  const merges = 'x-a: &a {image: x}\nx-b: &b {command: y}\nservices:\n  s:\n    <<: *a\n    <<: *b\n    ports: ["80"]\n';
  await withStack({ 'compose.yaml': merges }, async (dir) => {
    const project = await loadProject({ cwd: dir, environment: {} });
    assert.equal(project.services.s!.image, 'x');
    assert.deepEqual(project.services.s!.command, ['y']);
  });
});

test('an unknown key says where it is and what was meant', async () => {
  const msg = await errorFor({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    enviroment:\n      A: 1\n' });
  assert.equal(
    msg,
    'compose.yaml:4:5: services.web.enviroment: unknown key "enviroment" (did you mean "environment"?); custom keys must start with "x-"',
  );
});

test('unknown top-level keys are errors, x- keys are not', async () => {
  assert.match(
    await errorFor({ 'compose.yaml': 'services: {}\nvolums: {}\n' }),
    /^compose\.yaml:2:1: volums: unknown key "volums" at the top level \(did you mean "volumes"\?\)/,
  );
  await withStack({ 'compose.yaml': 'services:\n  a:\n    image: x\nx-anything: [1, 2]\n' }, async (dir) => {
    await loadProject({ cwd: dir, environment: {} });
  });
});

test('a wrong type says what was expected', async () => {
  assert.equal(
    await errorFor({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    ports: "80:80"\n' }),
    'compose.yaml:4:12: services.web.ports: expected a list, got the string "80:80"',
  );
  assert.equal(
    await errorFor({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    privileged: maybe\n' }),
    'compose.yaml:4:17: services.web.privileged: expected a boolean (true or false), got the string "maybe"',
  );
  assert.match(
    await errorFor({
      'compose.yaml': 'services:\n  web:\n    image: nginx\n    depends_on:\n      db:\n        condition: service_ready\n',
    }),
    /^compose\.yaml:6:20: services\.web\.depends_on\.db\.condition: expected one of "service_started", "service_healthy", "service_completed_successfully"/,
  );
});

test('a nested unknown key inside a long form', async () => {
  assert.match(
    await errorFor({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    ports:\n      - target: 80\n        publshed: 8080\n' }),
    /^compose\.yaml:6:9: services\.web\.ports\[0\]\.publshed: unknown key "publshed" \(did you mean "published"\?\)/,
  );
});

test('a missing required variable names the variable, file, line and column', async () => {
  assert.equal(
    await errorFor({
      'compose.yaml': 'services:\n  db:\n    image: postgres\n    environment:\n      PASSWORD: ${DB_PASSWORD:?set DB_PASSWORD}\n',
    }),
    'compose.yaml:5:17: services.db.environment.PASSWORD: required variable DB_PASSWORD is missing a value: set DB_PASSWORD',
  );
});

test('errors in an override file point into that file', async () => {
  const msg = await errorFor({
    'compose.yaml': 'services:\n  web:\n    image: nginx\n',
    'compose.override.yaml': 'services:\n  web:\n    restart: sometimes\n',
  });
  assert.match(msg, /^compose\.override\.yaml:3:14: services\.web\.restart: invalid value/);
});

test('bad short syntax values point at the item', async () => {
  assert.equal(
    await errorFor({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    ports:\n      - "80:80"\n      - "1-3:1-2"\n' }),
    'compose.yaml:6:9: services.web.ports[1]: invalid port "1-3:1-2": the published and target ranges must have the same size',
  );
  assert.match(
    await errorFor({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    stop_grace_period: 10 seconds\n' }),
    /^compose\.yaml:4:24: services\.web\.stop_grace_period: expected a duration/,
  );
});

test('undeclared volumes, networks and services are errors', async () => {
  assert.equal(
    await errorFor({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    volumes: ["data:/data"]\n' }),
    'compose.yaml:4:15: services.web.volumes[0]: service "web" refers to undefined volume data: declare it under the top-level volumes:',
  );
  assert.match(
    await errorFor({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    networks: [front]\n' }),
    /^compose\.yaml:4:\d+: services\.web\.networks\.front: service "web" refers to undefined network front/,
  );
  assert.match(
    await errorFor({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    depends_on: [ghost]\n' }),
    /^compose\.yaml:4:\d+: services\.web\.depends_on\.ghost: service "web" depends on undefined service "ghost"/,
  );
});

test('a service without image or build is an error', async () => {
  assert.match(
    await errorFor({ 'compose.yaml': 'services:\n  web:\n    restart: always\n' }),
    /^compose\.yaml:2:3: services\.web: service "web" has neither an image nor a build context/,
  );
});

test('a top level that is not a mapping', async () => {
  assert.match(await errorFor({ 'compose.yaml': '- just\n- a list\n' }), /top level of a stack file must be a mapping/);
});

test('duplicates, files named by include/extends that are missing, empty files', async () => {
  assert.equal(
    // labels, unlike environment, are not merged by compose-go's EnforceUnicity: a repeat is refused
    await errorFor({ 'compose.yaml': 'services:\n  a:\n    image: x\n    labels: [A=1, B=2, A=1]\n' }),
    'compose.yaml:4:24: services.a.labels[2]: duplicate entry: item 2 repeats item 0',
  );
  assert.match(
    await errorFor({ 'compose.yaml': 'include: [lib/missing.yaml]\nservices: {}\n' }),
    /^compose\.yaml:1:11: include\[0\]: stack file .*lib\/missing\.yaml not found$/,
  );
  assert.match(
    await errorFor({ 'compose.yaml': 'services:\n  a:\n    extends: {file: nope.yaml, service: b}\n' }),
    /^compose\.yaml:3:21: services\.a\.extends\.file: stack file .*nope\.yaml not found$/,
  );
  assert.match(await errorFor({ 'compose.yaml': '\n' }), /compose\.yaml: the file is empty/);
});

test('undefined names suggest the closest declared one', async () => {
  assert.match(
    await errorFor({ 'compose.yaml': 'services:\n  web: {image: x, depends_on: [dbb]}\n  db: {image: y}\n' }),
    /depends on undefined service "dbb" \(did you mean "db"\?\)/,
  );
  assert.match(
    await errorFor({ 'compose.yaml': 'services:\n  web: {image: x, volumes: ["dat:/d"]}\nvolumes: {data: {}}\n' }),
    /undefined volume dat \(did you mean "data"\?\)/,
  );
});

test('after merging and extends, errors still point into the file the value came from', async () => {
  assert.equal(
    await errorFor({
      'compose.yaml': 'services:\n  app:\n    extends: {file: common.yaml, service: base}\n',
      'common.yaml': 'services:\n  base:\n    image: x\n    volumes: ["data:/data"]\n',
    }),
    'common.yaml:4:15: services.app.volumes[0]: service "app" refers to undefined volume data: declare it under the top-level volumes:',
  );
  assert.equal(
    await errorFor({
      'compose.yaml': 'services:\n  app:\n    image: x\n',
      'compose.override.yaml': 'services:\n  app:\n    volumes: ["data:/data"]\n',
    }),
    'compose.override.yaml:3:15: services.app.volumes[0]: service "app" refers to undefined volume data: declare it under the top-level volumes:',
  );
});
