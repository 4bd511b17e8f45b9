import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { durationMs, durationNs } from '../../../src/reconcile/duration.js';
import { serviceConfigHash } from '../../../src/reconcile/config-hash.js';
import { contextFiles } from '../../../src/reconcile/build-context.js';
import { imageAction } from '../../../src/reconcile/images.js';
import { lockProject } from '../../../src/reconcile/lock.js';
import { serviceEnvironment } from '../../../src/reconcile/environment.js';
import { logPrefixer, serviceColour, displayName } from '../../../src/cli/output/log-prefix.js';
import { LogDecoder, type LogLine } from '../../../src/cli/output/log-stream.js';
import { summarizeProjects } from '../../../src/cli/commands/ls.js';
import { parseScale } from '../../../src/cli/commands/up.js';
import { wantsPlain } from '../../../src/cli/output/progress.js';
import { project, service } from './model-fixtures.js';

test('durations', () => {
  assert.equal(durationMs('1m30s'), 90_000);
  assert.equal(durationMs('1h2m3.5s'), 3_723_500);
  assert.equal(durationNs('250ms'), 250_000_000);
  assert.equal(durationMs('10'), 10_000);
  assert.throws(() => durationMs('ten seconds'), /invalid duration/);
});

test('config hash ignores scale, build and pull policy but not environment', () => {
  const base = service('a', { environment: { X: '1' } });
  const h = serviceConfigHash(base);
  assert.equal(serviceConfigHash({ ...base, scale: 5, pullPolicy: 'always' }), h);
  assert.equal(
    serviceConfigHash({ ...base, deploy: { labels: {}, replicas: 3 } }),
    serviceConfigHash({ ...base, deploy: { labels: {}, replicas: 1 } }),
  );
  assert.notEqual(serviceConfigHash({ ...base, environment: { X: '2' } }), h);
  assert.equal(
    serviceConfigHash(service('a', { environment: { X: '1' }, labels: { b: '1', a: '2' } })),
    serviceConfigHash(service('a', { environment: { X: '1' }, labels: { a: '2', b: '1' } })),
  );
});

test('build context honours .dockerignore but always keeps the Dockerfile', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-unit-ctx-'));
  try {
    mkdirSync(path.join(dir, 'node_modules/x'), { recursive: true });
    mkdirSync(path.join(dir, 'src'));
    for (const f of ['Dockerfile', 'src/a.ts', 'src/a.log', 'node_modules/x/i.js', 'keep.txt']) writeFileSync(path.join(dir, f), f);
    writeFileSync(path.join(dir, '.dockerignore'), 'node_modules\n*.log\n**/*.log\nDockerfile\n');
    assert.deepEqual(contextFiles(dir, 'Dockerfile'), ['.dockerignore', 'Dockerfile', 'keep.txt', 'src', 'src/a.ts']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('image action per pull policy and build', () => {
  const build = { context: '/c', dockerfile: 'Dockerfile', args: {}, labels: {}, cacheFrom: [], extraHosts: [], tags: [], platforms: [] };
  assert.equal(imageAction(service('a'), true, {}), 'none');
  assert.equal(imageAction(service('a'), false, {}), 'pull');
  assert.equal(imageAction(service('a', { pullPolicy: 'always' }), true, {}), 'pull');
  assert.equal(imageAction(service('a', { pullPolicy: 'never' }), false, {}), 'missing');
  assert.equal(imageAction(service('a', { build }), false, {}), 'build');
  assert.equal(imageAction(service('a', { build }), true, {}), 'none');
  assert.equal(imageAction(service('a', { build }), true, { build: true }), 'build');
  assert.equal(imageAction(service('a', { build, image: undefined }), false, { noBuild: true }), 'missing');
  assert.equal(imageAction(service('a', { build, pullPolicy: 'build' }), true, {}), 'build');
});

test('environment: env files first, environment wins, pass-through from the shell', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-unit-env-'));
  try {
    writeFileSync(path.join(dir, 'app.env'), 'A=file\nB=file\n');
    const s = service('a', { envFiles: [{ path: 'app.env', required: true }], environment: { B: 'yaml', C: null, D: null } });
    assert.deepEqual(serviceEnvironment(project([s], { workingDir: dir }), s, { C: 'shell' }), { A: 'file', B: 'yaml', C: 'shell' });
    const missing = service('b', { envFiles: [{ path: 'nope.env', required: true }] });
    assert.throws(() => serviceEnvironment(project([missing], { workingDir: dir }), missing, {}), /env file .*nope.env not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('project lock: exclusive while held, free after release', async () => {
  const key = `unit-${process.pid}-${Date.now()}`;
  const first = await lockProject(key, 'p');
  await assert.rejects(lockProject(key, 'p', 300), /locked by another tscompose process/);
  first.release();
  (await lockProject(key, 'p', 300)).release();
});

test('log prefixes are aligned and colours stable per service', () => {
  const p = logPrefixer(['web-1', 'worker-10'], { colour: false, enabled: true });
  assert.equal(p.prefix('web-1', 'web'), 'web-1      | ');
  assert.equal(p.prefix('worker-10', 'worker'), 'worker-10  | ');
  assert.equal(serviceColour('web'), serviceColour('web'));
  assert.equal(logPrefixer(['a'], { colour: false, enabled: false }).prefix('a', 'a'), '');
  assert.equal(displayName('demo', 'demo-web-1'), 'web-1');
  assert.equal(displayName('demo', 'custom'), 'custom');
});

test('the log decoder demultiplexes frames split across chunks', () => {
  const lines: LogLine[] = [];
  const d = new LogDecoder(true, (l) => lines.push(l));
  const frame = (stream: number, text: string) => {
    const b = Buffer.from(text);
    const h = Buffer.alloc(8);
    h[0] = stream;
    h.writeUInt32BE(b.length, 4);
    return Buffer.concat([h, b]);
  };
  const all = Buffer.concat([frame(1, 'hel'), frame(1, 'lo\nwor'), frame(2, 'oops\n'), frame(1, 'ld\n')]);
  d.push(all.subarray(0, 5));
  d.push(all.subarray(5, 20));
  d.push(all.subarray(20));
  d.end();
  assert.deepEqual(lines, [
    { stream: 'stdout', text: 'hello' },
    { stream: 'stderr', text: 'oops' },
    { stream: 'stdout', text: 'world' },
  ]);
});

test('ls summarises projects by state', () => {
  const L = (project: string, state: string) => ({
    State: state,
    Labels: { 'com.docker.compose.project': project, 'com.docker.compose.project.config_files': `/x/${project}.yaml` },
  });
  assert.deepEqual(summarizeProjects([L('b', 'running'), L('a', 'exited'), L('b', 'running'), L('b', 'exited')]), [
    { Name: 'a', Status: 'exited(1)', ConfigFiles: '/x/a.yaml' },
    { Name: 'b', Status: 'exited(1), running(2)', ConfigFiles: '/x/b.yaml' },
  ]);
});

test('--scale parsing and renderer choice', () => {
  assert.deepEqual(parseScale(['web=3', 'db=0']), { web: 3, db: 0 });
  assert.throws(() => parseScale(['web']), /invalid --scale "web"/);
  assert.equal(wantsPlain({ progress: 'auto' }, {}, true), false);
  assert.equal(wantsPlain({ progress: 'auto' }, { CI: '1' }, true), true);
  assert.equal(wantsPlain({ progress: 'auto' }, {}, false), true);
  assert.equal(wantsPlain({ progress: 'tty' }, {}, false), false);
});
