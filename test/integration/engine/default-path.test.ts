// Images whose config has no PATH (docker import of a rootfs tarball): Docker's default PATH is added at a build's
// FROM (so `ENV PATH=/x:$PATH` expands as expected and the built image has a PATH) and to containers' environment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startTestEngine, type TestEngine } from './harness.js';
import { busyboxRootfs } from './rootfs.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const IMPORTED = 'tsc-test/imported-nopath:1';
const BUILT = 'tsc-test/from-imported:1';

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
  const rootfs = busyboxRootfs(path.join(t.root, 'import-rootfs'));
  const tar = path.join(t.root, 'rootfs.tar');
  execFileSync('tar', ['-C', rootfs, '-cf', tar, '.']);
  const r = await t.cli(['import', tar, IMPORTED]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await t?.cleanup();
});

test("an imported image has no Env; its containers still get Docker's default PATH", async () => {
  const env = await t.cli(['inspect', '-f', '{{json .Config.Env}}', IMPORTED]);
  assert.equal(env.code, 0, env.stderr);
  assert.doesNotMatch(env.stdout, /PATH=/);
  const r = await t.cli(['run', '--rm', IMPORTED, 'env']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^PATH=${DEFAULT_PATH}$`, 'm'));
});

test('FROM an image without PATH: the default PATH is set at FROM, ENV PATH=/x:$PATH extends it, RUN finds chmod', async () => {
  const ctx = path.join(t.root, 'ctx-nopath');
  mkdirSync(ctx);
  writeFileSync(
    path.join(ctx, 'Dockerfile'),
    [
      `FROM ${IMPORTED}`,
      'ENV PATH=/x:$PATH',
      'RUN mkdir /x && printf "#!/bin/sh\\necho from-x\\n" > /x/hello && chmod 755 /x/hello && echo "run: $PATH"',
      '',
    ].join('\n'),
  );
  const b = await t.cli(['build', '-t', BUILT, ctx]);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  assert.match(b.stdout, new RegExp(`run: /x:${DEFAULT_PATH}\\n`));
  const env = await t.cli(['inspect', '-f', '{{json .Config.Env}}', BUILT]);
  assert.deepEqual(JSON.parse(env.stdout), [`PATH=/x:${DEFAULT_PATH}`]);
  const r = await t.cli(['run', '--rm', BUILT, 'sh', '-c', 'hello; echo "$PATH"']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `from-x\n/x:${DEFAULT_PATH}\n`);
});
