// Canonical forms of stack files, remembered by the bundled CLI (src/model/canonical-cache.ts): a run that uses
// one prints what a run that reads the file prints (output, warnings, error positions), and anything the form
// depends on (a variable it looked up, the .env file, the directory, the text) gives a new one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const cli = path.resolve(import.meta.dirname, '../../../dist/cli/tscompose.cjs');
const skip = fs.existsSync(cli) ? false : 'dist/cli is not built (npm run build)';

const STACK = `version: "3.8"
services:
  web:
    image: nginx:\${TAG:-1}
    environment:
      MODE: \${MODE}
    ports: ["\${PORT:-80}:80"]
    volumes: [./data:/data]
    depends_on: [db]
  db:
    image: postgres
`;

function setup(t: { after(fn: () => void): void }) {
  const cache = fs.mkdtempSync(path.join(os.homedir(), '.tsc-canonical-test-')); // a cache in /tmp is not trusted
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-canonical-cli-'));
  t.after(() => {
    fs.rmSync(cache, { recursive: true, force: true });
    fs.rmSync(project, { recursive: true, force: true });
  });
  const run = (vars: Record<string, string> = {}, args: string[] = ['config'], cwd = project) =>
    spawnSync(process.execPath, [cli, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.homedir(), TSCOMPOSE_CACHE_DIR: cache, ...vars },
      encoding: 'utf8',
      cwd,
    });
  const entries = () => {
    const dir = path.join(cache, 'canonical');
    return fs.existsSync(dir) ? fs.readdirSync(dir).map((n) => `${n} ${fs.statSync(path.join(dir, n)).mtimeMs}`) : [];
  };
  return { project, run, entries };
}

test('a remembered form gives the same output and warnings, and an unrelated variable does not make a new one', { skip }, (t) => {
  const s = setup(t);
  fs.writeFileSync(path.join(s.project, 'compose.yaml'), STACK);
  const first = s.run({ TAG: '2' });
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /image: nginx:2\n/);
  assert.match(first.stderr, /"MODE" variable is not set/);
  assert.match(first.stderr, /"version" is obsolete/);
  const written = s.entries();
  assert.equal(written.length, 1, 'one form is kept');
  const again = s.run({ TAG: '2', UNRELATED: 'x' });
  assert.deepEqual([again.status, again.stdout, again.stderr], [first.status, first.stdout, first.stderr]);
  assert.deepEqual(s.entries(), written, 'the kept form is used as it is');
});

test('a variable the form looked up, set, changed or unset, gives a new form', { skip }, (t) => {
  const s = setup(t);
  fs.writeFileSync(path.join(s.project, 'compose.yaml'), STACK);
  assert.match(s.run({ TAG: '2' }).stdout, /image: nginx:2\n/);
  assert.match(s.run({ TAG: '3' }).stdout, /image: nginx:3\n/, 'changed');
  assert.match(s.run({}).stdout, /image: nginx:1\n/, 'unset: the default');
  const withMode = s.run({ MODE: 'prod' });
  assert.match(withMode.stdout, /MODE: prod\n/, 'a variable that was not set, now set');
  assert.doesNotMatch(withMode.stderr, /"MODE" variable is not set/);
  fs.writeFileSync(path.join(s.project, '.env'), 'PORT=8080\n');
  assert.match(s.run({}).stdout, /published: "8080"/, 'a variable from the .env file');
});

test('the same text in another directory, or another text, is a form of its own', { skip }, (t) => {
  const s = setup(t);
  fs.writeFileSync(path.join(s.project, 'compose.yaml'), STACK);
  const other = path.join(s.project, 'other');
  fs.mkdirSync(other);
  fs.writeFileSync(path.join(other, 'compose.yaml'), STACK);
  assert.match(s.run().stdout, new RegExp(`source: ${s.project}/data\\n`));
  assert.match(s.run({}, ['config'], other).stdout, new RegExp(`source: ${other}/data\\n`));
  fs.writeFileSync(path.join(s.project, 'compose.yaml'), STACK.replace('postgres', 'postgres:16'));
  assert.match(s.run().stdout, /image: postgres:16\n/);
});

test('a file in error is refused at the same position every time, and nothing is kept for it', { skip }, (t) => {
  const s = setup(t);
  fs.writeFileSync(path.join(s.project, 'compose.yaml'), 'services:\n  web:\n    image: nginx\n    ports:\n      - target: eighty\n');
  const first = s.run();
  assert.notEqual(first.status, 0);
  assert.match(first.stderr, /compose\.yaml:5:\d+/);
  assert.equal(s.run().stderr, first.stderr);
  assert.deepEqual(s.entries(), []);
  fs.writeFileSync(path.join(s.project, 'compose.yaml'), 'services:\n  web:\n    image: ${NEED:?is required}\n');
  assert.match(s.run().stderr, /is required/);
  assert.match(s.run({ NEED: 'x' }).stdout, /image: x\n/);
  assert.match(s.run().stderr, /is required/, 'the form made with NEED set is not used without it');
});

test('a kept form keeps its positions: an error found after it (a dependency cycle) names the file, line and column', { skip }, (t) => {
  const s = setup(t);
  const stack = 'services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [c]\n';
  fs.writeFileSync(path.join(s.project, 'compose.yaml'), stack);
  const first = s.run();
  assert.notEqual(first.status, 0);
  assert.equal(s.entries().length, 1, 'the file itself is valid: its form is kept');
  const again = s.run();
  assert.equal(again.stderr, first.stderr);
  assert.match(again.stderr, /compose\.yaml:\d+:\d+/);
});
