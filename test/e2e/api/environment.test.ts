// The TypeScript API end to end, on every available engine: load → up (wait strategies) →
// container handles (port, ip, exec, logs, replicas) → down, await using, exit-time cleanup.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { loadEnvironment, UserError, Wait, WaitError, type ComposeEnvironment } from '../../../src/api/index.js';
import { availableEngines, buildImage, projectLeftovers, supportsHealthchecks } from './engines.js';

const COMPOSE = `
x-fast-stop: &fast-stop
  image: \${TSC_API_IMAGE}
  pull_policy: never
  stop_signal: SIGKILL
services:
  web:
    <<: *fast-stop
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    ports: ["8080"]
    volumes: [data:/data]
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1"]
      interval: 1s
      retries: 30
  worker:
    <<: *fast-stop
    command: ["sh", "-c", "echo starting; sleep 1; echo ready; echo ready; echo 'a warning' >&2; exec sleep 3600"]
    scale: 2
    depends_on: [web]
  sleeper:
    <<: *fast-stop
    command: ["sleep", "3600"]
  broken:
    <<: *fast-stop
    profiles: [broken]
    command: ["sh", "-c", "echo about to fail; echo 'fatal: no config file' >&2; exit 3"]
volumes:
  data:
`;

const engines = await availableEngines();
for (const engine of engines) {
  describe(`API on ${engine.kind}`, { timeout: 240_000 }, () => {
    const image = `tsc-api-bb-${randomBytes(4).toString('hex')}:latest`;
    let dir = '';
    let context = '';
    let env: ComposeEnvironment;
    let healthchecks = false;
    // web has a healthcheck; engines without healthchecks still serve it, so most tests wait on HTTP
    const webReady = () => ({ web: Wait.forHttp('/index.html', { port: 8080 }) });

    const load = (opts: Parameters<typeof loadEnvironment>[0] = {}) =>
      loadEnvironment({ cwd: dir, engine: engine.kind, env: { TSC_API_IMAGE: image }, ...opts });

    before(async () => {
      engine.select();
      context = busyboxContext(['RUN ["/bin/sh", "-c", "mkdir -p /www && echo hello-api > /www/index.html"]']);
      await buildImage(engine.docker, context, image);
      dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-api-'));
      writeFileSync(path.join(dir, 'compose.yaml'), COMPOSE);
      healthchecks = await supportsHealthchecks(engine.docker, image);
      env = await load();
      await env.up({ wait: webReady() });
    });

    after(async () => {
      const name = env?.name;
      await env?.down().catch(() => undefined);
      if (name) assert.deepEqual(await projectLeftovers(engine.docker, name), [], 'down() removed everything');
      await engine.docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      rmSync(context, { recursive: true, force: true });
      await engine.close();
    });

    test('project names are unique per load and keep the directory name', async () => {
      const other = await load();
      assert.notEqual(other.name, env.name);
      assert.match(
        env.name,
        new RegExp(
          `^${path
            .basename(dir)
            .toLowerCase()
            .replace(/[^a-z0-9_-]/g, '-')}-[0-9a-f]{8}$`,
        ),
      );
      const fixed = await load({ projectName: 'tsc-api-fixed' });
      assert.equal(fixed.name, 'tsc-api-fixed');
    });

    test('a published port answers from the host', async () => {
      const port = await env.container('web').port(8080);
      const res = await fetch(`http://127.0.0.1:${port}/index.html`);
      assert.equal(res.status, 200);
      assert.equal((await res.text()).trim(), 'hello-api');
      await assert.rejects(
        env.container('web').port(9999),
        (err: Error) => err instanceof UserError && /does not publish port 9999/.test(err.message),
      );
    });

    test('ip() gives the address on a compose network, reachable from the host', async () => {
      const web = env.container('web');
      const ip = await web.ip('default');
      assert.equal(ip, await web.ip());
      const inspected = await web.inspect();
      assert.equal(ip, inspected.NetworkSettings.Networks[`${env.name}_default`].IPAddress);
      assert.equal((await (await fetch(`http://${ip}:8080/index.html`)).text()).trim(), 'hello-api');
      await assert.rejects(web.ip('nope'), UserError);
    });

    test('exec returns the exit code, stdout and stderr', async () => {
      const r = await env.container('web').exec(['sh', '-c', 'echo out; echo err >&2; exit 4']);
      assert.deepEqual(r, { exitCode: 4, stdout: 'out\n', stderr: 'err\n' });
      const ok = await env.container('web').exec('cat /www/index.html');
      assert.deepEqual(ok, { exitCode: 0, stdout: 'hello-api\n', stderr: '' });
    });

    test('replicas are handles by index; unknown services and replicas are user errors', () => {
      const [one, two] = [env.container('worker', 1), env.container('worker', 2)];
      assert.equal(one.name, `${env.name}-worker-1`);
      assert.equal(two.name, `${env.name}-worker-2`);
      assert.notEqual(one.id, two.id);
      assert.equal(env.containers('worker').length, 2);
      assert.throws(() => env.container('worker', 3), /no replica 3 .*replicas: 1, 2/);
      assert.throws(
        () => env.container('nope'),
        (err: Error) => err instanceof UserError && /no service "nope".*web/.test(err.message),
      );
      assert.throws(() => env.container('broken'), /disabled by its profiles: broken/);
    });

    test('logs() is an async iterable of lines; follow keeps streaming until the loop breaks', async () => {
      await env.up({ wait: { ...webReady(), worker: Wait.forLogLine('ready', { count: 2 }) } });
      const lines: string[] = [];
      for await (const line of env.container('worker', 2).logs()) lines.push(line);
      assert.deepEqual(
        lines.filter((l) => l !== 'a warning'),
        ['starting', 'ready', 'ready'],
      );
      const streams = [];
      for await (const l of env.container('worker').logLines()) streams.push(`${l.stream}:${l.text}`);
      assert.ok(streams.includes('stderr:a warning'));
      let first = '';
      for await (const line of env.container('worker').logs({ follow: true })) {
        first = line;
        break;
      }
      assert.equal(first, 'starting');
    });

    test('wait strategies: port, HTTP, log line, predicate, all', async () => {
      const seen: string[] = [];
      await env.up({
        wait: {
          web: Wait.all(Wait.forPort(8080), Wait.forHttp('/index.html', { port: 8080, body: /hello-api/ })),
          worker: Wait.forLogLine(/^ready$/, { count: 2 }),
          sleeper: Wait.until(async (c) => {
            seen.push(c.service);
            return (await c.exec('true')).exitCode === 0;
          }, 'exec to work'),
        },
      });
      assert.deepEqual(seen, ['sleeper']);
    });

    test('by default up() waits for healthchecks', async (t) => {
      if (!healthchecks) t.todo(`the ${engine.kind} engine does not run healthchecks yet`);
      await env.up();
      assert.equal((await env.container('web').inspect()).State.Health?.Status, 'healthy');
      await env.up({ wait: { web: Wait.forHealthy() } });
    });

    test('a readiness timeout names the service, what it waited for and its last log lines', async () => {
      await assert.rejects(
        env.up({ wait: { ...webReady(), worker: Wait.forLogLine('never printed').withTimeout(1000) } }),
        (err: Error) => {
          assert.ok(err instanceof WaitError);
          assert.equal(err.service, 'worker');
          assert.match(err.message, /service "worker" .* a log line matching \/never printed\/: timed out after 1000 ms/);
          assert.ok(err.lastLogLines.includes('ready'));
          return true;
        },
      );
      await assert.rejects(env.up({ wait: { web: Wait.forHttp('/missing', { port: 8080 }).withTimeout(800) } }), /got status 404/);
    });

    test('a service that exits fails fast with its logs; await using removes the project', async () => {
      let name = '';
      {
        await using broken = await load({ profiles: ['broken'] });
        name = broken.name;
        await assert.rejects(
          broken.up({ services: ['broken'], wait: { broken: Wait.forLogLine('ready') }, timeout: 60_000 }),
          (err: Error) => {
            assert.ok(err instanceof WaitError, String(err));
            assert.equal(err.service, 'broken');
            assert.match(err.message, /exit code 3/);
            assert.deepEqual(
              [...err.lastLogLines].sort(),
              ['about to fail', 'fatal: no config file'],
              'stdout and stderr lines, in whatever order the engine interleaves them',
            );
            return true;
          },
        );
      }
      assert.deepEqual(await projectLeftovers(engine.docker, name), []);
    });

    for (const how of ['throw', 'signal'] as const) {
      test(`a run that dies (${how}) still removes its project`, async () => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures/up-then-die.ts'), dir, how, engine.kind],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
            env: { ...process.env, TSC_API_IMAGE: image },
          },
        );
        let out = '';
        let err = '';
        child.stderr.on('data', (c) => {
          err += c;
        });
        const name = await new Promise<string>((resolve, reject) => {
          child.stdout.on('data', (c) => {
            out += c;
            if (out.includes('\n')) resolve(out.trim());
          });
          child.on('exit', () => reject(new Error(`child exited before up: ${err}`)));
        });
        assert.equal((await projectLeftovers(engine.docker, name)).length > 0, true, 'the child brought its project up');
        if (how === 'signal') child.kill('SIGTERM');
        const code = await new Promise<number | null>((resolve) => {
          if (child.exitCode !== null) resolve(child.exitCode);
          else child.once('exit', (c) => resolve(c));
        });
        assert.notEqual(code, 0);
        assert.deepEqual(await projectLeftovers(engine.docker, name), []);
      });
    }
  });
}

if (engines.length === 0) test('API', { skip: 'no engine available (dockerd not reachable, bundled engine absent)' }, () => {});
