// BuildKit Dockerfile syntax on the bundled engine's builder: directives, heredocs, COPY --chmod/--link,
// platform ARGs, RUN --mount (cache, bind, tmpfs, secret) and RUN --network, built with the real runner.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import os from 'node:os';
import { gunzipSync } from 'node:zlib';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import type Docker from 'dockerode';
import { createOneShotRunner } from '../../../src/engine/runtime/oneshot.js';
import { contextTar } from '../../../src/reconcile/build-context.js';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { uniqueName } from './fixtures.js';
import { dockerCli, type ImageTestServer, startImageServer } from './server.js';

const REPO = path.resolve(import.meta.dirname, '../../..');

/** The tscompose CLI from source (tsx), against the test server's socket as the bundled engine. */
async function tscompose(
  socket: string,
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(REPO, 'src/cli/main.ts'), ...args], {
    cwd,
    env: { ...process.env, TSCOMPOSE_ENGINE: 'bundled', TSCOMPOSE_ENGINE_SOCKET: socket, CI: '1', ...env },
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const [status] = await once(child, 'close');
  return { status: status as number | null, out };
}

const SECRET = `s3cr3t-${Math.random().toString(36).slice(2)}-value`;

const DOCKERFILE = [
  '# syntax=docker/dockerfile:1.7',
  '# check=error=true',
  'ARG NOTE=global-$TARGETARCH',
  'FROM --platform=$BUILDPLATFORM scratch',
  'COPY busybox /bin/busybox',
  'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
  'ARG TARGETARCH',
  'ARG TARGETPLATFORM',
  'ARG NOTE',
  'ARG name=world',
  'RUN echo "$TARGETARCH $TARGETPLATFORM $NOTE $BUILDARCH" > /arch.txt',
  'RUN <<EOF',
  'echo "i am" > /hd1',
  'id -u >> /hd1',
  'EOF',
  'RUN <<EOT',
  '#!/bin/awk -f',
  'BEGIN { print "from awk" > "/hd2" }',
  'EOT',
  'RUN cat <<EOF1 | tr a-z A-Z > /hd3; \\',
  '  cat <<-EOF2 > /hd4',
  'hello',
  'EOF1',
  '\ttabbed',
  '\tEOF2',
  'RUN <<EOF sh > /hd5',
  'echo "via sh: $name"',
  'EOF',
  'COPY <<EOF /c1',
  'Hello ${name}! "quoted" \\$kept',
  'EOF',
  "COPY <<'EOF' /c2",
  'Hello ${name}!',
  'EOF',
  'COPY --chmod=0755 <<EOF <<EOF2 /inline/',
  '#!/bin/sh',
  'EOF',
  'second',
  'EOF2',
  'COPY --chmod=0640 --link hello.txt /chmod.txt',
  'ADD --chmod=0600 hello.txt /added.txt',
  'COPY --exclude=*.md --exclude=sub/skip.txt docs/ /docs/',
  'RUN --mount=type=cache,target=/cache,id=bk-test echo run >> /cache/log && wc -l < /cache/log > /cache-count',
  'RUN --mount=type=bind,source=ctxdir,target=/ctx cp /ctx/a.txt /bound.txt && (touch /ctx/new 2>/dev/null && echo writable || echo readonly) > /bind-ro.txt',
  'RUN --mount=type=bind,source=ctxdir,target=/ctx,rw touch /ctx/new && ls /ctx > /bind-rw.txt',
  "RUN --mount=type=tmpfs,target=/scratch echo tmp > /scratch/x && grep -q ' /scratch ' /proc/mounts && echo ok > /tmpfs.txt",
  'RUN --mount=type=secret,id=token wc -c < /run/secrets/token > /secret-len.txt && stat -c %a /run/secrets/token > /secret-mode.txt',
  'RUN --mount=type=secret,id=token,env=TOKEN,required=true test -n "$TOKEN" && echo env-ok > /secret-env.txt',
  'RUN --mount=type=secret,id=absent ls /run/secrets > /no-secret.txt 2>&1 || echo none > /no-secret.txt',
  'RUN --network=none echo net > /net.txt',
  '',
].join('\n');

async function build(docker: Docker, ctx: string, opts: Record<string, unknown>): Promise<{ output: string; error?: string }> {
  const stream = await docker.buildImage(
    contextTar(ctx, 'Dockerfile') as unknown as NodeJS.ReadableStream,
    opts as Docker.ImageBuildOptions,
  );
  return new Promise((resolve, reject) => {
    let output = '';
    docker.modem.followProgress(
      stream,
      (err: Error | null, res: { error?: string }[]) => {
        if (err) return reject(err);
        resolve({ output, error: res.find((r) => r.error)?.error });
      },
      (e: { stream?: string }) => {
        output += e.stream ?? '';
      },
    );
  });
}

async function secretsSession(docker: Docker, secrets: Record<string, string>): Promise<string> {
  const body = { secrets: Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) };
  const res = await new Promise<{ Session: string }>((resolve, reject) => {
    docker.modem.dial(
      {
        path: '/tscompose/build-secrets',
        method: 'POST',
        options: body,
        statusCodes: { 201: true, 400: 'bad request', 500: 'server error' },
      },
      (err: Error | null, data: unknown) => (err ? reject(err) : resolve(data as { Session: string })),
    );
  });
  return res.Session;
}

/** Every file below `dir` (gzip blobs decompressed) that contains `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        let data = fs.readFileSync(p);
        if (data[0] === 0x1f && data[1] === 0x8b) {
          try {
            data = gunzipSync(data);
          } catch {
            /* not gzip after all */
          }
        }
        if (data.includes(needle)) hits.push(p);
      }
    }
  };
  walk(dir);
  return hits;
}

describe('BuildKit Dockerfile syntax on the bundled engine', () => {
  let srv: ImageTestServer;
  let ctx: string;
  const tag = uniqueName('bk');

  before(async () => {
    srv = await startImageServer((paths) => createOneShotRunner(paths));
    ctx = busyboxContext([], { 'hello.txt': 'hello\n', 'ignored.txt': 'no\n', '.dockerignore': 'ignored.txt\nctxdir/skip.txt\n' });
    fs.mkdirSync(path.join(ctx, 'ctxdir'));
    fs.writeFileSync(path.join(ctx, 'ctxdir/a.txt'), 'from the context\n');
    fs.writeFileSync(path.join(ctx, 'ctxdir/skip.txt'), 'ignored\n');
    fs.mkdirSync(path.join(ctx, 'docs/sub'), { recursive: true });
    for (const f of ['readme.md', 'keep.txt', 'sub/skip.txt', 'sub/kept.txt']) fs.writeFileSync(path.join(ctx, 'docs', f), f);
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), DOCKERFILE);
  });
  after(async () => {
    await srv?.close();
    if (ctx) fs.rmSync(ctx, { recursive: true, force: true });
  });

  const read = (layers: string[], rel: string) => {
    for (const d of [...layers].reverse()) if (fs.existsSync(path.join(d, rel))) return fs.readFileSync(path.join(d, rel), 'utf8');
    return undefined;
  };
  const stat = (layers: string[], rel: string) => {
    for (const d of [...layers].reverse()) if (fs.existsSync(path.join(d, rel))) return fs.statSync(path.join(d, rel));
    return undefined;
  };

  test('heredocs, COPY --chmod, platform args, mounts and a secret, through POST /build', async () => {
    const session = await secretsSession(srv.docker, { token: SECRET });
    const r = await build(srv.docker, ctx, { t: `${tag}:1`, tscsession: session });
    assert.equal(r.error, undefined, r.output);
    assert.doesNotMatch(r.output, /Warning/, 'FROM --platform=$BUILDPLATFORM is the host platform');
    const rec = (await srv.service.resolve(`${tag}:1`))!;
    const L = rec.layerDirs;
    const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;
    assert.equal(read(L, 'arch.txt'), `${arch} linux/${arch} global-${arch} \n`, 'BUILDARCH was not declared in the stage');
    assert.equal(read(L, 'hd1'), 'i am\n0\n');
    assert.equal(read(L, 'hd2'), 'from awk\n');
    assert.equal(read(L, 'hd3'), 'HELLO\n');
    assert.equal(read(L, 'hd4'), 'tabbed\n');
    assert.equal(read(L, 'hd5'), 'via sh: world\n');
    assert.equal(read(L, 'c1'), 'Hello world! "quoted" \\$kept\n');
    assert.equal(read(L, 'c2'), 'Hello ${name}!\n');
    assert.equal(read(L, 'inline/EOF'), '#!/bin/sh\n');
    assert.equal(read(L, 'inline/EOF2'), 'second\n');
    assert.equal(stat(L, 'inline/EOF')!.mode & 0o7777, 0o755);
    assert.equal(stat(L, 'c1')!.mode & 0o7777, 0o644);
    assert.equal(stat(L, 'chmod.txt')!.mode & 0o7777, 0o640);
    assert.equal(stat(L, 'added.txt')!.mode & 0o7777, 0o600);
    assert.deepEqual(
      ['readme.md', 'keep.txt', 'sub/skip.txt', 'sub/kept.txt'].map((f) => read(L, `docs/${f}`) !== undefined),
      [false, true, false, true],
      'COPY --exclude',
    );
    assert.equal(read(L, 'cache-count')!.trim(), '1');
    assert.equal(read(L, 'bound.txt'), 'from the context\n');
    assert.equal(read(L, 'bind-ro.txt'), 'readonly\n');
    assert.equal(read(L, 'bind-rw.txt'), 'a.txt\nnew\n', "rw bind: writable, without .dockerignore'd files");
    assert.equal(read(L, 'tmpfs.txt'), 'ok\n');
    assert.equal(read(L, 'secret-len.txt')!.trim(), String(SECRET.length));
    assert.equal(read(L, 'secret-mode.txt'), '400\n');
    assert.equal(read(L, 'secret-env.txt'), 'env-ok\n');
    assert.match(read(L, 'no-secret.txt')!, /none|No such file/);
    assert.equal(read(L, 'net.txt'), 'net\n');
    // nothing a mount brought in, nor a mount point the runtime made, is in any layer
    for (const d of L) {
      for (const rel of ['cache', 'ctx', 'scratch', 'run/secrets', 'run', 'dev/pipes'])
        assert.ok(!fs.existsSync(path.join(d, rel)), `${rel} in layer ${d}`);
    }
    // the secret is nowhere in the engine's state: layers, blobs, build cache, image configs and history
    assert.deepEqual(filesContaining(path.join(srv.root, 'state'), SECRET), []);
    const saved: Buffer[] = [];
    for await (const chunk of await srv.docker.getImage(`${tag}:1`).get()) saved.push(chunk as Buffer);
    const tar = Buffer.concat(saved);
    assert.ok(tar.includes('from the context\n'), 'the saved layer tars are searchable (uncompressed)');
    assert.ok(!tar.includes(SECRET), 'docker save output holds the secret');
  });

  test('a cache mount persists across builds; a used session cannot be replayed', async () => {
    const session = await secretsSession(srv.docker, { token: SECRET });
    const r = await build(srv.docker, ctx, { t: `${tag}:2`, nocache: true, tscsession: session });
    assert.equal(r.error, undefined, r.output);
    const rec = (await srv.service.resolve(`${tag}:2`))!;
    assert.equal(read(rec.layerDirs, 'cache-count')!.trim(), '2');
    const again = await build(srv.docker, ctx, { t: `${tag}:3`, tscsession: session }).catch((e: Error) => ({
      output: '',
      error: e.message,
    }));
    assert.match(again.error ?? '', /unknown or expired build secrets session/);
  });

  test('a required secret that was not given fails the step; the classic docker CLI builds heredocs', async () => {
    const dir = busyboxContext(['RUN --mount=type=secret,id=nope,required=true true']);
    try {
      const r = await build(srv.docker, dir, { t: `${tag}-req` });
      assert.match(r.error ?? '', /secret nope not found/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const cli = busyboxContext(['# a comment', 'RUN <<EOF', 'echo from-heredoc > /x', 'EOF']);
    try {
      const r = await dockerCli(srv.socket, ['build', '-t', `${tag}-cli`, cli]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const rec = (await srv.service.resolve(`${tag}-cli`))!;
      assert.equal(read(rec.layerDirs, 'x'), 'from-heredoc\n');
    } finally {
      fs.rmSync(cli, { recursive: true, force: true });
    }
  });

  test('a failing RUN names the step, its line, the command and its last output lines', async () => {
    const dir = busyboxContext(['RUN <<EOF', 'echo first line', 'echo "boom: missing thing" >&2', 'exit 7', 'EOF']);
    try {
      const r = await build(srv.docker, dir, { t: `${tag}-fail` });
      assert.match(r.error ?? '', /returned a non-zero code: 7/);
      assert.match(r.error ?? '', /at step 4\/4 \(Dockerfile line 4\): RUN <<EOF/);
      assert.match(r.error ?? '', /last output:\n/);
      assert.match(r.error ?? '', /\n {4}first line(\n|$)/);
      assert.match(r.error ?? '', /\n {4}boom: missing thing(\n|$)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('named contexts: a directory (with its own .dockerignore) and docker-image:// for COPY --from, RUN --mount from= and FROM', async () => {
    const extra = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-bk-named-'));
    const dir = busyboxContext();
    try {
      fs.writeFileSync(path.join(extra, 'lib.txt'), 'from the named context\n');
      fs.writeFileSync(path.join(extra, 'private.txt'), 'ignored\n');
      fs.writeFileSync(path.join(extra, '.dockerignore'), 'private.txt\n');
      fs.writeFileSync(
        path.join(dir, 'Dockerfile'),
        [
          'FROM base AS stage',
          'COPY --from=extra / /extra/',
          'RUN --mount=type=bind,from=extra,target=/mnt cat /mnt/lib.txt > /mounted.txt',
          'COPY --from=base /hd1 /from-image-hd1',
          'RUN --mount=type=cache,target=/seeded,id=seed-test,from=extra cat /seeded/lib.txt > /seeded.txt',
          '',
        ].join('\n'),
      );
      const body = { contexts: { extra, base: `docker-image://${tag}:1` } };
      const session = await new Promise<string>((resolve, reject) => {
        srv.docker.modem.dial(
          { path: '/tscompose/build-secrets', method: 'POST', options: body, statusCodes: { 201: true, 400: 'bad request' } },
          (err: Error | null, data: unknown) => (err ? reject(err) : resolve((data as { Session: string }).Session)),
        );
      });
      const r = await build(srv.docker, dir, { t: `${tag}-named`, tscsession: session });
      assert.equal(r.error, undefined, r.output);
      const rec = (await srv.service.resolve(`${tag}-named`))!;
      assert.equal(read(rec.layerDirs, 'extra/lib.txt'), 'from the named context\n');
      assert.equal(read(rec.layerDirs, 'extra/private.txt'), undefined, "the named context's .dockerignore applies");
      assert.equal(read(rec.layerDirs, 'mounted.txt'), 'from the named context\n');
      assert.equal(read(rec.layerDirs, 'from-image-hd1'), 'i am\n0\n');
      assert.equal(read(rec.layerDirs, 'seeded.txt'), 'from the named context\n', 'a new cache seeded from=');
      assert.equal(read(rec.layerDirs, 'hd1'), 'i am\n0\n', 'FROM base is the docker-image:// context');
    } finally {
      fs.rmSync(extra, { recursive: true, force: true });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('tscompose build sends compose build.secrets (file and environment) to the bundled engine', async () => {
    const dir = busyboxContext([
      'RUN --mount=type=secret,id=api_token,required=true --mount=type=secret,id=fromenv,env=FROM_ENV cp /run/secrets/api_token /copied && echo "$FROM_ENV" > /env.txt',
    ]);
    try {
      fs.writeFileSync(path.join(dir, 'token.txt'), `${SECRET}\n`);
      fs.writeFileSync(path.join(dir, '.dockerignore'), 'token.txt\n');
      const project = `bk${Math.random().toString(36).slice(2, 8)}`;
      fs.writeFileSync(
        path.join(dir, 'compose.yaml'),
        [
          'services:',
          '  app:',
          `    image: ${project}-app:latest`,
          '    build:',
          '      context: .',
          '      secrets:',
          '        - api_token',
          '        - source: env_secret',
          '          target: fromenv',
          'secrets:',
          '  api_token:',
          '    file: ./token.txt',
          '  env_secret:',
          '    environment: BK_ENV_SECRET',
          '',
        ].join('\n'),
      );
      const r = await tscompose(srv.socket, dir, ['-p', project, 'build'], { BK_ENV_SECRET: 'from-the-environment' });
      assert.equal(r.status, 0, r.out);
      assert.ok(!r.out.includes(SECRET), 'the secret is not printed');
      const rec = (await srv.service.resolve(`${project}-app:latest`))!;
      assert.equal(read(rec.layerDirs, 'copied'), `${SECRET}\n`, 'the step read the secret (copied on purpose to check it)');
      assert.equal(read(rec.layerDirs, 'env.txt'), 'from-the-environment\n');
      // what the image holds was copied by the step itself; the secret mount and the context are clean
      for (const d of rec.layerDirs) {
        assert.ok(!fs.existsSync(path.join(d, 'run/secrets')), 'no secret mount point in a layer');
        assert.ok(!fs.existsSync(path.join(d, 'token.txt')), 'the secret file was not sent in the context');
      }
      const missing = await tscompose(srv.socket, dir, ['-p', project, 'build'], {});
      assert.notEqual(missing.status, 0);
      assert.match(missing.out, /environment variable BK_ENV_SECRET is not set/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('up --build with build.secrets on a bundled engine daemon', () => {
  let root: string;
  let socket: string;
  let engine: ReturnType<typeof spawn> | undefined;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-bk-engine-'));
    socket = path.join(root, 'engine.sock');
    const log = fs.openSync(path.join(root, 'engine.log'), 'a');
    engine = spawn(
      process.execPath,
      [
        '--import',
        import.meta.resolve('tsx'),
        path.join(REPO, 'src/cli/main.ts'),
        'engine',
        '--root',
        path.join(root, 'state'),
        '--socket',
        socket,
      ],
      { stdio: ['ignore', log, log] },
    );
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline && !fs.existsSync(socket)) await new Promise((r) => setTimeout(r, 200));
    assert.ok(fs.existsSync(socket), 'the engine did not start');
  });
  after(async () => {
    if (engine && engine.exitCode === null) {
      engine.kill('SIGTERM');
      await Promise.race([once(engine, 'exit'), new Promise((r) => setTimeout(r, 8000))]);
      if (engine.exitCode === null) engine.kill('SIGKILL');
    }
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  test('the service runs an image whose build read the secret and the forwarded ssh agent socket', { timeout: 180_000 }, async () => {
    const dir = busyboxContext([
      'RUN --mount=type=secret,id=tok,required=true --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo "len=$(wc -c < /run/secrets/tok) ssh=$SSH_AUTH_SOCK" > /built.txt',
      'CMD ["cat", "/built.txt"]',
    ]);
    const agent = net.createServer().listen(path.join(dir, 'agent.sock'));
    await once(agent, 'listening');
    const project = `bkup${Math.random().toString(36).slice(2, 8)}`;
    try {
      fs.writeFileSync(
        path.join(dir, 'compose.yaml'),
        [
          'services:',
          '  app:',
          '    build:',
          '      context: .',
          '      secrets: [tok]',
          '      ssh: [default]',
          'secrets:',
          '  tok:',
          '    environment: BK_TOKEN',
          '',
        ].join('\n'),
      );
      const env = { TSCOMPOSE_STATE_ROOT: path.join(root, 'state'), BK_TOKEN: 'twelve chars', SSH_AUTH_SOCK: path.join(dir, 'agent.sock') };
      const up = await tscompose(socket, dir, ['-p', project, 'up', '--build', '--abort-on-container-exit'], env);
      assert.equal(up.status, 0, up.out);
      assert.match(up.out, /len=12 ssh=\/run\/buildkit\/ssh_agent\.0/);
      const down = await tscompose(socket, dir, ['-p', project, 'down', '--rmi', 'local'], env);
      assert.equal(down.status, 0, down.out);
    } finally {
      agent.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
