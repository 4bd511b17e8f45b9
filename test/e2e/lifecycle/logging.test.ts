// Logging drivers on each engine, the same checks against Docker Engine and the bundled engine: json-file and local
// rotate at max-size and keep at most max-file files, logs read across the rotated files in order (and follow
// through a rotation), none refuses reads, unknown drivers and options are refused as Docker refuses them, and
// compose's `logging:` reaches the container.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { availableTargets, type EngineTarget } from './engines.js';
import { busyboxImage } from './docker-cli.js';
import { Stack } from './stack.js';

const targets: EngineTarget[] = [];
const images = new Map<string, string>();
before(async () => {
  targets.push(...(await availableTargets()));
  for (const t of targets) images.set(t.name, await busyboxImage(t));
});
after(async () => {
  for (const t of targets) {
    await t.docker
      .getImage(images.get(t.name)!)
      .remove({ force: true })
      .catch(() => {});
    await t.stop();
  }
});

/** Prints `count` numbered lines of about 50 bytes (each log entry is about 100 bytes), `pause` between them. */
const printLines = (count: number, pause = '') =>
  `i=0; while [ $i -lt ${count} ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); ${pause} done`;

/** The numbers of the `line-N-…` lines of a log text. */
const numbers = (text: string) => [...text.matchAll(/line-(\d+)-/g)].map((m) => Number(m[1]));

/** The files of a container's log on disk (the current one and its rotated copies), where each engine keeps them. */
async function logFiles(engine: EngineTarget, id: string, driver: 'json-file' | 'local'): Promise<string[]> {
  let dir: string;
  let base: string;
  if (engine.name === 'bundled') {
    dir = path.join(engine.env.TSCOMPOSE_STATE_ROOT!, 'containers', id);
    base = 'container.log';
  } else if (driver === 'json-file') {
    const logPath = (await engine.docker.getContainer(id).inspect()).LogPath;
    dir = path.dirname(logPath);
    base = path.basename(logPath);
  } else {
    const root = ((await engine.docker.info()) as { DockerRootDir: string }).DockerRootDir;
    dir = path.join(root, 'containers', id, 'local-logs');
    base = 'container.log';
  }
  return readdirSync(dir).filter((f) => f === base || f.startsWith(`${base}.`));
}

async function runToEnd(docker: Docker, image: string, cmd: string, logConfig: Docker.HostConfig['LogConfig']): Promise<Docker.Container> {
  const c = await docker.createContainer({
    Image: image,
    Cmd: ['sh', '-c', cmd],
    HostConfig: { NetworkMode: 'none', LogConfig: logConfig },
  });
  await c.start();
  await c.wait();
  return c;
}

const logsText = async (c: Docker.Container) => (await c.logs({ stdout: true, stderr: true, follow: false })).toString('utf8');

for (const name of ['bundled', 'docker'] as const) {
  const label = name === 'bundled' ? 'the bundled engine' : 'Docker Engine';

  test(
    `json-file and local rotate at max-size, keep at most max-file files, and logs read across them on ${label}`,
    { timeout: 240_000 },
    async (t) => {
      const engine = targets.find((x) => x.name === name);
      if (!engine) return t.skip(`${name} engine unavailable`);
      const image = images.get(name)!;
      const cases = [
        { driver: 'json-file', Config: { 'max-size': '1k', 'max-file': '3', compress: 'true' }, maxFile: 3, gz: true },
        { driver: 'json-file', Config: { 'max-size': '1k', 'max-file': '2' }, maxFile: 2, gz: false },
        { driver: 'local', Config: { 'max-size': '1k', 'max-file': '3' }, maxFile: 3, gz: true },
      ] as const;
      for (const k of cases) {
        const c = await runToEnd(engine.docker, image, printLines(300), { Type: k.driver, Config: { ...k.Config } });
        try {
          const files = await logFiles(engine, c.id, k.driver);
          assert.ok(
            files.length > 1,
            `${k.driver} ${JSON.stringify(k.Config)}: 30 KB of output past a 1 KB max-size was rotated (${files})`,
          );
          assert.ok(files.length <= k.maxFile, `${k.driver}: at most max-file=${k.maxFile} files are kept (${files})`);
          assert.equal(
            files.some((f) => f.endsWith('.gz')),
            k.gz,
            `${k.driver}: rotated files are compressed exactly when compress is on (${files})`,
          );
          const seen = numbers(await logsText(c));
          // one 1 KB file holds at most about 11 entries: more means the rotated files were read too
          assert.ok(seen.length > 11, `${k.driver}: logs reads the rotated files as well (${seen.length} lines)`);
          assert.ok(seen.length < 300, `${k.driver}: what was rotated away is gone (${seen.length} lines)`);
          assert.equal(seen[seen.length - 1], 299, 'the last line is the newest');
          assert.deepEqual(
            seen,
            seen.map((_, i) => seen[0]! + i),
            `${k.driver}: the lines kept come oldest file first, in order, without gaps or repeats`,
          );
          const tail = numbers((await c.logs({ stdout: true, tail: 3 })).toString('utf8'));
          assert.deepEqual(tail, [297, 298, 299], 'tail counts from the newest file');
        } finally {
          await c.remove({ force: true });
        }
      }
    },
  );

  test(`logs -f follows through rotations and a chatty container stays bounded on ${label}`, { timeout: 120_000 }, async (t) => {
    const engine = targets.find((x) => x.name === name);
    if (!engine) return t.skip(`${name} engine unavailable`);
    const c = await engine.docker.createContainer({
      Image: images.get(name)!,
      Cmd: ['sh', '-c', `sleep 1; ${printLines(200, 'usleep 5000;')}`],
      HostConfig: { NetworkMode: 'none', LogConfig: { Type: 'json-file', Config: { 'max-size': '1k', 'max-file': '2' } } },
    });
    try {
      await c.start();
      const stream = (await c.logs({ stdout: true, stderr: true, follow: true })) as NodeJS.ReadableStream;
      let text = '';
      stream.on('data', (d: Buffer) => (text += d.toString('utf8')));
      await new Promise<void>((resolve) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
      });
      const seen = numbers(text);
      // Docker 20.10's json-file follower repeats the line it was reading at a rotation: order and completeness
      // are what both engines share
      assert.deepEqual([...new Set(seen)], [...Array(200).keys()], 'every line, in order, across about 20 rotations');
      assert.ok(
        seen.every((n, i) => i === 0 || n >= seen[i - 1]!),
        'never out of order',
      );
      assert.ok((await logFiles(engine, c.id, 'json-file')).length <= 2, 'max-file=2 held while the container wrote 20 KB');
    } finally {
      await c.remove({ force: true });
    }
  });

  test(`driver none, unknown drivers and options, and bad option values on ${label}`, { timeout: 60_000 }, async (t) => {
    const engine = targets.find((x) => x.name === name);
    if (!engine) return t.skip(`${name} engine unavailable`);
    const image = images.get(name)!;
    const none = await runToEnd(engine.docker, image, 'echo hidden', { Type: 'none', Config: {} });
    try {
      await assert.rejects(
        none.logs({ stdout: true }),
        (e: { statusCode?: number; message: string }) =>
          e.statusCode === 501 && /configured logging driver does not support reading/.test(e.message),
      );
    } finally {
      await none.remove({ force: true });
    }
    const refusedAtCreate = async (LogConfig: Docker.HostConfig['LogConfig'], message: RegExp) =>
      assert.rejects(
        engine.docker.createContainer({ Image: image, Cmd: ['true'], HostConfig: { LogConfig } }),
        (e: { statusCode?: number; message: string }) => e.statusCode === 400 && message.test(e.message),
      );
    await refusedAtCreate(
      { Type: 'nosuchdriver', Config: {} },
      /error looking up logging plugin nosuchdriver: plugin "nosuchdriver" not found/,
    );
    await refusedAtCreate({ Type: 'json-file', Config: { foo: 'bar' } }, /unknown log opt 'foo' for json-file log driver/);
    await refusedAtCreate({ Type: 'local', Config: { tag: 'x' } }, /unknown log opt 'tag' for log driver local/);
    const refusedAtStart = async (LogConfig: Docker.HostConfig['LogConfig'], message: string) => {
      const c = await engine.docker.createContainer({ Image: image, Cmd: ['true'], HostConfig: { NetworkMode: 'none', LogConfig } });
      try {
        await assert.rejects(c.start(), (e: { statusCode?: number; message: string }) => {
          assert.equal(e.statusCode, 500);
          assert.ok(e.message.includes(`failed to initialize logging driver: ${message}`), e.message);
          return true;
        });
      } finally {
        await c.remove({ force: true });
      }
    };
    await refusedAtStart({ Type: 'json-file', Config: { 'max-size': 'abc' } }, "invalid size: 'abc'");
    await refusedAtStart({ Type: 'json-file', Config: { 'max-size': '1k', 'max-file': '0' } }, 'max-file cannot be less than 1');
    await refusedAtStart(
      { Type: 'json-file', Config: { compress: 'true' } },
      'compress cannot be true when max-file is less than 2 or max-size is not set',
    );
    await refusedAtStart({ Type: 'local', Config: { 'max-file': '1' } }, 'compression cannot be enabled when max file count is 1');
  });

  test(`compose's logging: reaches the container and rotates its log on ${label}`, { timeout: 240_000 }, async (t) => {
    const engine = targets.find((x) => x.name === name);
    if (!engine) return t.skip(`${name} engine unavailable`);
    const context = busyboxContext();
    const stack = new Stack(
      engine,
      `
services:
  chatty:
    build: ${context}
    command: ["sh", "-c", "${printLines(300).replaceAll('$', '$$$$')}"]
    logging:
      driver: json-file
      options: { max-size: 1k, max-file: 2 }
  quiet:
    build: ${context}
    command: ["echo", "hidden"]
    logging: { driver: none }
`,
    );
    try {
      const up = await stack.cli(['up', '-d']);
      assert.equal(up.code, 0, up.stderr);
      const ids = await stack.idsByName();
      const chatty = engine.docker.getContainer(ids[`${stack.project}-chatty-1`]!);
      await chatty.wait();
      const hc = (await chatty.inspect()).HostConfig;
      assert.deepEqual(hc.LogConfig, { Type: 'json-file', Config: { 'max-size': '1k', 'max-file': '2' } });
      const quiet = await engine.docker.getContainer(ids[`${stack.project}-quiet-1`]!).inspect();
      assert.equal(quiet.HostConfig.LogConfig?.Type, 'none');
      const files = await logFiles(engine, chatty.id, 'json-file');
      assert.ok(files.length === 2, `rotated, two files kept (${files})`);
      const logs = await stack.cli(['logs', '--no-log-prefix', 'chatty']);
      assert.equal(logs.code, 0, logs.stderr);
      const seen = numbers(logs.stdout);
      assert.ok(seen.length > 11 && seen[seen.length - 1] === 299, `tscompose logs reads both files (${seen.length} lines)`);
    } finally {
      await stack.cleanup();
      rmSync(context, { recursive: true, force: true });
    }
  });
}
