// The runnable samples, on every available engine: samples/hello through the API (the README's
// first command), and samples/integration-test's own node:test suite run as its users would.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadEnvironment, Wait } from '../../../src/api/index.js';
import { availableEngines, projectLeftovers, supportsHealthchecks } from './engines.js';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { buildImage } from './engines.js';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';

const samples = path.resolve(import.meta.dirname, '../../../samples');
const engines = await availableEngines();

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net
      .createServer()
      .listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      })
      .on('error', reject);
  });

/** A `node --test` started from inside a test file skips its files unless it forgets the parent run. */
function withoutTestRunnerContext(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy.NODE_TEST_CONTEXT;
  return copy;
}

for (const engine of engines) {
  describe(`samples on ${engine.kind}`, { timeout: 300_000 }, () => {
    let healthchecks = true;
    before(async () => {
      const context = busyboxContext();
      const image = `tsc-api-probe-${randomBytes(4).toString('hex')}:latest`;
      try {
        await buildImage(engine.docker, context, image);
        healthchecks = await supportsHealthchecks(engine.docker, image);
      } finally {
        await engine.docker
          .getImage(image)
          .remove({ force: true })
          .catch(() => undefined);
        rmSync(context, { recursive: true, force: true });
      }
    });
    after(() => engine.close());

    test('hello: web answers on its published port, the client reaches it by name, visits land in the volume', async () => {
      engine.select();
      execFileSync('sh', [path.join(samples, 'hello/prepare.sh')]);
      const port = await freePort();
      let name = '';
      {
        await using env = await loadEnvironment({
          cwd: path.join(samples, 'hello'),
          engine: engine.kind,
          env: { HELLO_PORT: String(port) },
        });
        name = env.name;
        assert.match(name, /^hello-[0-9a-f]{8}$/);
        const webReady = healthchecks ? Wait.forHealthy() : Wait.forHttp('/', { port: 8080 });
        await env.up({
          wait: { web: webReady, client: Wait.forLogLine('web says: hello from the web service', { count: 2 }) },
          timeout: 120_000,
        });
        assert.equal(await env.container('web').port(8080), port);
        const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
        assert.match(page, /Hello from tscompose/);
        const visits = await (await fetch(`http://127.0.0.1:${port}/visits/log.txt`)).text();
        assert.match(visits, /web says: hello from the web service\n.*web says: hello from the web service/s);
        if (healthchecks) assert.equal((await env.container('web').inspect()).State.Health?.Status, 'healthy');
      }
      assert.deepEqual(await projectLeftovers(engine.docker, name), []);
    });

    test('webapp (local images): web waits for a healthy db, reaches db and the cache alias on the backend network, the secret is mounted', async (t) => {
      if (!healthchecks) return t.skip(`the ${engine.kind} engine does not run healthchecks yet`);
      engine.select();
      execFileSync('sh', [path.join(samples, 'hello/prepare.sh')]);
      const port = await freePort();
      await using env = await loadEnvironment({
        cwd: path.join(samples, 'webapp'),
        files: ['compose.yaml', 'compose.local.yaml'],
        engine: engine.kind,
        env: { WEB_PORT: String(port) },
      });
      await env.up({ timeout: 120_000 });
      assert.equal((await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim(), 'hello from web (production)');
      const web = env.container('web');
      const reach = await web.exec('wget -q -O - http://db:5432/init.sql && wget -q -O - http://redis:6379/ping');
      assert.equal(reach.exitCode, 0, reach.stderr);
      assert.match(reach.stdout, /CREATE TABLE IF NOT EXISTS visits/);
      assert.match(reach.stdout, /PONG/);
      assert.equal((await env.container('db').exec(['cat', '/run/secrets/db_password'])).stdout.trim(), 'change-me');
      assert.ok(await web.ip('frontend'));
      await assert.rejects(env.container('db').ip('frontend'), /no address on network "frontend"/);
    });

    test('extends-profiles (local images): extends, the override file and profiles', async () => {
      engine.select();
      execFileSync('sh', [path.join(samples, 'hello/prepare.sh')]);
      const files = ['compose.yaml', 'compose.override.yaml', 'compose.local.yaml'];
      {
        await using env = await loadEnvironment({ cwd: path.join(samples, 'extends-profiles'), files, engine: engine.kind });
        await env.up({ wait: { api: Wait.forHttp('/shared/README.txt', { port: 8000, body: /shared config/ }) } });
        assert.deepEqual(
          env
            .containers()
            .map((c) => `${c.service}-${c.index}`)
            .sort(),
          ['api-1', 'worker-1', 'worker-2'],
        );
        const api = env.container('api');
        assert.equal((await api.exec('echo $LOG_LEVEL $SERVICE')).stdout.trim(), 'debug api');
        assert.equal((await api.inspect()).Config.Labels['com.example.env'], 'dev');
        const port = await api.port(8000);
        assert.equal((await (await fetch(`http://127.0.0.1:${port}/shared/README.txt`)).text()).trim(), 'shared config');
        assert.notEqual((await api.exec('touch /srv/shared/x')).exitCode, 0, 'the shared bind mount is read-only');
        assert.equal((await env.container('worker', 2).exec('echo $SERVICE')).stdout.trim(), 'worker');
      }
      await using debug = await loadEnvironment({
        cwd: path.join(samples, 'extends-profiles'),
        files,
        profiles: ['debug'],
        engine: engine.kind,
      });
      await debug.up({ services: ['debug-shell', 'metrics'], wait: { metrics: Wait.forPort(9100) } });
      assert.deepEqual(
        debug
          .containers()
          .map((c) => c.service)
          .sort(),
        ['api', 'debug-shell', 'metrics'],
      );
    });

    test('devloop (local image): the app serves its sources on a published port', async () => {
      engine.select();
      execFileSync('sh', [path.join(samples, 'hello/prepare.sh')]);
      await using env = await loadEnvironment({
        cwd: path.join(samples, 'devloop'),
        files: ['compose.yaml', 'compose.local.yaml'],
        engine: engine.kind,
      });
      await env.up({ wait: { app: Wait.forHttp('/config/settings.json', { port: 3000, body: /hello from devloop/ }) } });
      const port = await env.container('app').port(3000);
      assert.match(await (await fetch(`http://127.0.0.1:${port}/src/index.js`)).text(), /createServer/);
    });

    test("integration-test: the sample's own node:test suite passes", async () => {
      engine.select();
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--test', '--test-reporter=tap', path.join(samples, 'integration-test/kv.test.ts')],
        {
          env: withoutTestRunnerContext(process.env),
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (c) => {
        out += c;
      });
      child.stderr.on('data', (c) => {
        out += c;
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      assert.equal(code, 0, out);
      assert.match(out, /# pass 4/);
      assert.match(out, /# fail 0/);
    });
  });
}

if (engines.length === 0) test('samples', { skip: 'no engine available (dockerd not reachable, bundled engine absent)' }, () => {});
