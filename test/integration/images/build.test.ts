// POST /build with the real one-shot runner (runc): docker CLI (classic builder) and dockerode.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createOneShotRunner } from '../../../src/engine/runtime/oneshot.js';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { tarball, uniqueName } from './fixtures.js';
import { dockerCli, type ImageTestServer, startImageServer } from './server.js';

describe('image build', () => {
  let srv: ImageTestServer;
  let ctx: string;
  const tag = uniqueName('build');

  before(async () => {
    srv = await startImageServer((paths) => createOneShotRunner(paths));
    ctx = busyboxContext(
      [
        'ARG GREETING=hi',
        'ENV G=$GREETING',
        'WORKDIR /app',
        'COPY --chown=1000:1000 hello.txt .',
        'RUN echo "$G from run" > /app/run.txt && rm /bin/ls',
        'USER 1000',
        'LABEL tsc.stage=one',
        'EXPOSE 8080',
        'VOLUME /data',
        'STOPSIGNAL SIGINT',
        'HEALTHCHECK --interval=5s CMD true',
        'ENTRYPOINT ["/bin/sh", "-c"]',
        'CMD ["cat /app/run.txt"]',
      ],
      { 'hello.txt': 'hello file\n', 'secret.txt': 'nope', '.dockerignore': 'secret.txt\n' },
    );
  });
  after(async () => {
    await srv?.close();
    if (ctx) fs.rmSync(ctx, { recursive: true, force: true });
  });

  test('DOCKER_BUILDKIT=0 docker build: steps, RUN in a container, metadata, whiteouts', async () => {
    const r = await dockerCli(srv.socket, ['build', '--build-arg', 'GREETING=hello', '-t', `${tag}:1`, ctx]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Step 1\/16 : FROM scratch/);
    assert.match(r.stdout, /Running in [0-9a-f]{12}/);
    assert.match(r.stdout, /Successfully built [0-9a-f]{12}/);
    assert.match(r.stdout, new RegExp(`Successfully tagged ${tag}:1`));
    const rec = await srv.service.resolve(`${tag}:1`);
    assert.ok(rec);
    assert.equal(rec.layerDirs.length, 4);
    const top = rec.layerDirs[3]!;
    assert.equal(fs.readFileSync(path.join(top, 'app/run.txt'), 'utf8'), 'hello from run\n');
    const wh = fs.lstatSync(path.join(top, 'bin/ls'));
    assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'rm in RUN leaves an overlay whiteout');
    const copied = fs.statSync(path.join(rec.layerDirs[2]!, 'app/hello.txt'));
    assert.equal(copied.uid, 1000);
    const c = rec.config;
    assert.ok(c.Env?.includes('G=hello'));
    assert.equal(c.WorkingDir, '/app');
    assert.equal(c.User, '1000');
    assert.deepEqual(c.Labels, { 'tsc.stage': 'one' });
    assert.deepEqual(c.ExposedPorts, { '8080/tcp': {} });
    assert.deepEqual(c.Volumes, { '/data': {} });
    assert.equal(c.StopSignal, 'SIGINT');
    assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9 });
    assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c']);
    assert.deepEqual(c.Cmd, ['cat /app/run.txt']);
    const history = await srv.docker.getImage(`${tag}:1`).history();
    assert.equal(history.length, 15);
  });

  test('an unchanged rebuild takes no RUN step and gives the same image', async () => {
    const first = await srv.service.resolve(`${tag}:1`);
    const r = await dockerCli(srv.socket, ['build', '--build-arg', 'GREETING=hello', '-t', `${tag}:2`, ctx]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /Running in/);
    assert.match(r.stdout, /Using cache/);
    assert.equal((await srv.service.resolve(`${tag}:2`))?.id, first?.id);
    fs.writeFileSync(path.join(ctx, 'hello.txt'), 'changed\n');
    const changed = await dockerCli(srv.socket, ['build', '-q', '--build-arg', 'GREETING=hello', ctx]);
    assert.equal(changed.status, 0, changed.stderr);
    assert.match(changed.stdout.trim(), /^sha256:[0-9a-f]{64}$/, 'docker build -q prints the id');
    assert.notEqual(changed.stdout.trim(), first?.id, 'a changed COPY source invalidates the cache');
  });

  test('nocache re-runs every step; labels are added to the image', async () => {
    const r = await dockerCli(srv.socket, [
      'build',
      '--no-cache',
      '--label',
      'tsc.extra=1',
      '--build-arg',
      'GREETING=hello',
      '-t',
      `${tag}:nocache`,
      ctx,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /Using cache/);
    assert.equal(r.stdout.match(/Running in/g)?.length, 2);
    const rec = (await srv.service.resolve(`${tag}:nocache`))!;
    assert.deepEqual(rec.config.Labels, { 'tsc.stage': 'one', 'tsc.extra': '1' });
  });

  test('the built image runs: the layers work as overlay lower dirs', async () => {
    const rec = (await srv.service.resolve(`${tag}:1`))!;
    const upper = path.join(srv.root, 'upper');
    let out = '';
    const { exitCode } = await createOneShotRunner((srv.service as any).ctx.paths).runOneShot({
      lowerDirs: rec.layerDirs,
      upperDir: upper,
      args: ['/bin/sh', '-c', 'cat /app/run.txt; cat /app/hello.txt; test -e /bin/ls || echo ls-gone; id -u'],
      env: [],
      workingDir: '/app',
      user: '1000',
      network: 'none',
      onOutput: (b) => {
        out += b.toString();
      },
    });
    assert.equal(exitCode, 0, out);
    assert.equal(out, 'hello from run\nhello file\nls-gone\n1000\n');
  });

  test('multi-stage with --target, COPY --from and .dockerignore, via dockerode', async () => {
    const dockerfile = [
      `FROM ${tag}:1 AS base`,
      'USER 0',
      'RUN echo built > /out.txt',
      'FROM scratch AS final',
      'COPY --from=base /out.txt /result.txt',
      'COPY . /ctx/',
      'FROM base AS never',
      'RUN exit 1',
    ].join('\n');
    const context = await tarball([
      { name: 'Dockerfile', content: dockerfile },
      { name: 'keep.txt', content: 'k' },
      { name: 'secret.txt', content: 's' },
      { name: '.dockerignore', content: 'secret.txt\n' },
    ]);
    const stream = await srv.docker.buildImage(Readable.from([context]), { t: `${tag}-multi`, target: 'final' });
    const events: any[] = await new Promise((resolve, reject) =>
      srv.docker.modem.followProgress(stream, (err: Error | null, res: any[]) => (err ? reject(err) : resolve(res))),
    );
    const text = events.map((e) => e.stream ?? '').join('');
    assert.ok(!events.some((e) => e.error), JSON.stringify(events.filter((e) => e.error)));
    assert.ok(events.some((e) => e.aux?.ID?.startsWith('sha256:')));
    assert.doesNotMatch(text, /RUN exit 1/, 'stages after the target are not built');
    const rec = (await srv.service.resolve(`${tag}-multi`))!;
    assert.equal(rec.layerDirs.length, 2);
    assert.equal(fs.readFileSync(path.join(rec.layerDirs[0]!, 'result.txt'), 'utf8'), 'built\n');
    assert.ok(fs.existsSync(path.join(rec.layerDirs[1]!, 'ctx/keep.txt')));
    assert.ok(!fs.existsSync(path.join(rec.layerDirs[1]!, 'ctx/secret.txt')), '.dockerignore applies');
  });

  test('ADD of a URL downloads the file (mode 0600, not extracted); import from a URL', async () => {
    const archive = await tarball([{ name: 'inside', content: 'i' }]);
    const web = http
      .createServer((req, res) => {
        res.writeHead(200, { 'Last-Modified': 'Wed, 01 Jan 2020 00:00:00 GMT' });
        res.end(req.url === '/rootfs.tar' ? archive : 'remote content\n');
      })
      .listen(0, '127.0.0.1');
    await once(web, 'listening');
    const base = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    try {
      const context = await tarball([
        { name: 'Dockerfile', content: `FROM scratch\nADD ${base}/files/remote.txt /dl/\nADD ${base}/rootfs.tar /dl/kept.tar\n` },
      ]);
      const r = await dockerCli(srv.socket, ['build', '-t', `${tag}-url`, '-'], context);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const rec = (await srv.service.resolve(`${tag}-url`))!;
      const file = path.join(rec.layerDirs[0]!, 'dl/remote.txt');
      assert.equal(fs.readFileSync(file, 'utf8'), 'remote content\n');
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.equal(fs.statSync(file).mtime.toISOString(), '2020-01-01T00:00:00.000Z');
      assert.ok(fs.statSync(path.join(rec.layerDirs[1]!, 'dl/kept.tar')).isFile(), 'a downloaded archive is not extracted');
      const imported = await dockerCli(srv.socket, ['import', `${base}/rootfs.tar`, `${tag}-url-import`]);
      assert.equal(imported.status, 0, imported.stderr);
      const irec = (await srv.service.resolve(`${tag}-url-import`))!;
      assert.equal(fs.readFileSync(path.join(irec.layerDirs[0]!, 'inside'), 'utf8'), 'i');
    } finally {
      web.closeAllConnections();
      web.close();
    }
  });

  test('.dockerignore as Docker reads it: anchored at the root, exceptions inside an excluded directory', async () => {
    const dir = busyboxContext(['COPY . /ctx'], { '.dockerignore': 'ignored\n!ignored/subdir/excepted-file\n' });
    try {
      for (const rel of ['ignored/subdir/file', 'ignored/subdir/excepted-file', 'sub/ignored']) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), rel);
      }
      const r = await dockerCli(srv.socket, ['build', '-t', `${tag}:ignore`, dir]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const rec = await srv.service.resolve(`${tag}:ignore`);
      const top = rec!.layerDirs.at(-1)!;
      assert.ok(fs.existsSync(path.join(top, 'ctx/sub/ignored')), 'a pattern is anchored at the context root');
      assert.ok(fs.existsSync(path.join(top, 'ctx/ignored/subdir/excepted-file')), 'an exception inside an excluded directory');
      assert.ok(!fs.existsSync(path.join(top, 'ctx/ignored/subdir/file')));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a failing RUN reports the error in Docker's format", async () => {
    const context = await tarball([{ name: 'Dockerfile', content: `FROM ${tag}:1\nUSER 0\nRUN echo failing; exit 3\n` }]);
    const r = await dockerCli(srv.socket, ['build', '-'], context);
    // the step's exit code comes as errorDetail.code, which the docker CLI exits with (as with Docker Engine)
    assert.equal(r.status, 3);
    assert.match(r.stdout + r.stderr, /returned a non-zero code: 3/);
    assert.match(r.stdout, /failing/);
    const bad = await dockerCli(srv.socket, ['build', '-'], await tarball([{ name: 'Dockerfile', content: 'FROM scratch\nFOO bar\n' }]));
    assert.equal(bad.status, 1);
    assert.match(bad.stderr + bad.stdout, /unknown instruction: FOO/);
  });
});

import { Readable } from 'node:stream';
