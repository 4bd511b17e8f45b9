// The listing flags, -q, -o, --no-interpolate and bad-input exits of `tscompose config`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repo, runCli } from './cli.js';

const webapp = path.join(repo, 'samples', 'webapp');
const extendsProfiles = path.join(repo, 'samples', 'extends-profiles');

test('--services, --volumes, --networks, --images', () => {
  assert.equal(runCli(['config', '--services'], webapp).stdout, 'cache\ndb\nweb\n');
  assert.equal(runCli(['config', '--volumes'], webapp).stdout, 'cache-data\ndb-data\n');
  assert.equal(runCli(['config', '--networks'], webapp).stdout, 'backend\nfrontend\n');
  assert.equal(runCli(['config', '--images'], webapp).stdout, 'redis:7-alpine\npostgres:16-alpine\nwebapp/web:latest\n');
});

test('--profiles lists every profile; --profile enables services', () => {
  assert.equal(runCli(['config', '--profiles'], extendsProfiles).stdout, 'debug\nmonitoring\n');
  assert.equal(runCli(['config', '--services'], extendsProfiles).stdout, 'api\nworker\n');
  assert.equal(runCli(['--profile', 'monitoring', 'config', '--services'], extendsProfiles).stdout, 'api\nmetrics\nworker\n');
});

test('-q validates without output; -o writes the file', () => {
  const q = runCli(['config', '-q'], webapp);
  assert.equal(q.status, 0);
  assert.equal(q.stdout, '');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'tsc-config-'));
  try {
    const out = path.join(tmp, 'out.yaml');
    const r = runCli(['config', '-o', out], webapp);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(readFileSync(out, 'utf8'), /^name: webapp\nservices:\n/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('--no-interpolate keeps ${…} text; -f - reads stdin', () => {
  const stack = 'services:\n  a:\n    image: "busybox:${TAG:-1.36}"\n';
  assert.match(runCli(['-f', '-', '-p', 'x', 'config'], webapp, stack).stdout, /image: busybox:1\.36/);
  assert.match(runCli(['-f', '-', '-p', 'x', 'config', '--no-interpolate'], webapp, stack).stdout, /image: busybox:\$\{TAG:-1\.36\}/);
});

test('literal dollars are written as $$ so the output loads again', () => {
  const stack = 'services:\n  a:\n    image: busybox\n    command: ["sh", "-c", "echo $$HOME"]\n';
  const out = runCli(['-f', '-', '-p', 'x', 'config'], webapp, stack);
  assert.match(out.stdout, /- echo \$\$HOME\n/);
  const again = runCli(['-f', '-', '-p', 'x', 'config'], webapp, out.stdout);
  assert.equal(again.stdout, out.stdout);
});

test('--variables lists the variables with their defaults', () => {
  assert.equal(
    runCli(['config', '--variables'], webapp).stdout,
    [
      'NAME           REQUIRED   DEFAULT VALUE   ALTERNATE VALUE',
      'NODE_VERSION   false      20',
      'POSTGRES_DB    false      app',
      'WEB_PORT       false      8080',
      'WEB_TAG        false      latest',
      '',
    ].join('\n'),
  );
});

test('--hash prints the config hash the reconciler labels containers with', () => {
  const all = runCli(['config', '--hash', '*'], webapp).stdout.trim().split('\n');
  assert.deepEqual(
    all.map((l) => l.split(' ')[0]),
    ['cache', 'db', 'web'],
  );
  for (const l of all) assert.match(l, /^\w+ [0-9a-f]{64}$/);
  assert.equal(runCli(['config', '--hash', 'db'], webapp).stdout, `${all[1]}\n`);
  assert.match(runCli(['config', '--hash', 'nope'], webapp).stderr, /no such service: nope/);
});

test('config with service arguments prints those services and their dependencies', () => {
  assert.equal(runCli(['config', '--services', 'db'], webapp).stdout, 'db\n');
  assert.equal(runCli(['config', '--services', 'web'], webapp).stdout, 'cache\ndb\nweb\n');
});

const bad: [string, string, RegExp][] = [
  ['malformed YAML', 'services:\n  a: [\n', /^error: .*compose\.yaml:\d+:\d+: invalid YAML/],
  [
    'unknown key',
    'services:\n  a:\n    imgae: x\n',
    /^error: .*compose\.yaml:3:5: services\.a\.imgae: unknown key "imgae" \(did you mean "image"\?\)/,
  ],
  ['wrong type', 'services:\n  a:\n    image: x\n    tty: [1]\n', /^error: .*compose\.yaml:4:10: services\.a\.tty: expected a boolean/],
  [
    'missing variable',
    'services:\n  a:\n    image: ${IMAGE:?IMAGE must be set}\n',
    /^error: .*compose\.yaml:3:12: services\.a\.image: required variable IMAGE is missing a value: IMAGE must be set/,
  ],
  [
    'cycle',
    'services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a]}\n',
    /^error: \S*compose\.yaml:\d+:\d+: services\.b\.depends_on\.a: dependency cycle between services: a → b → a/,
  ],
];

for (const [name, yaml, expected] of bad) {
  test(`bad input (${name}) exits non-zero with a one-line error`, () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'tsc-config-'));
    try {
      writeFileSync(path.join(tmp, 'compose.yaml'), yaml);
      const r = runCli(['config'], tmp);
      assert.notEqual(r.status, 0);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, expected);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

test('a missing file exits non-zero', () => {
  const r = runCli(['-f', 'does-not-exist.yaml', 'config'], webapp);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /does-not-exist\.yaml not found/);
});
