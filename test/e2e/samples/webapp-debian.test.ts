// samples/webapp for real, on each available engine, as its README says: `prepare.sh` (a debootstrap
// Debian image, made once and cached, loaded into the engine), then the built CLI with
// compose.yaml + compose.debian.yaml: `up --build --wait` brings up PostgreSQL (initialized from the
// secret and init.sql), Redis and the Node app; visits written through the app survive `down`/`up`
// in both volumes, PostgreSQL's second start finds a cleanly shut down cluster, `down -v` leaves nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { bundledTarget, CLI, dockerTarget, REPO, type EngineTarget } from '../lifecycle/engines.js';
import { freePort } from '../lifecycle/stack.js';

const SAMPLE = path.join(REPO, 'samples/webapp');
const BASE_IMAGE = 'tscompose-samples/webapp-debian:bookworm';
const BUILT_IMAGES = ['webapp/web-debian:latest', 'webapp/db-debian:latest', 'webapp/cache-debian:latest'];

interface Run { code: number; stdout: string; stderr: string }
function run(cmd: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: SAMPLE, timeout: timeoutMs, maxBuffer: 32 << 20, env: { ...process.env, CI: '1', NO_COLOR: '1', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

interface Visit { message: string; env: string; visits: number; hits: number }
async function visit(port: number): Promise<Visit> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text) as Visit;
}

const targets: EngineTarget[] = [];
before(async () => {
  assert.ok(existsSync(CLI), `build first (npm run build): ${CLI} is missing`);
  for (const target of [await dockerTarget(), await bundledTarget()]) if (target) targets.push(target);
});
after(async () => { for (const t of targets) await t.stop(); });

// the two engines side by side: most of each run waits on imports, initdb and healthchecks
describe('samples/webapp from Debian packages', { concurrency: 2 }, () => {
  for (const kind of ['docker', 'bundled'] as const) {
    describe(`on ${kind}`, { timeout: 900_000 }, () => {
      let target: EngineTarget | undefined;
      const project = `tsc-webapp-${randomBytes(4).toString('hex')}`;
      let port = 0;
      let cli: (args: string[], timeoutMs?: number) => Promise<Run>;

      before(async () => {
        target = targets.find((t) => t.name === kind);
        if (!target) return;
        port = await freePort();
        const env = { ...target.env, TSCOMPOSE_ENGINE: kind, WEB_PORT: String(port) };
        cli = (args, timeoutMs = 300_000) => run(process.execPath, [CLI, ...target!.flags, '-p', project, '-f', 'compose.yaml', '-f', 'compose.debian.yaml', ...args], env, timeoutMs);
        // the first engine pays for debootstrap (minutes on a fresh machine); the second reuses the tar
        const prepared = await run('sh', [path.join(SAMPLE, 'prepare.sh'), '--engine', kind], env, 600_000);
        assert.equal(prepared.code, 0, `prepare.sh failed:\n${prepared.stdout}\n${prepared.stderr}`);
      });
      after(async () => {
        if (!target) return;
        await cli(['down', '-v', '-t', '0']);
        for (const image of [...BUILT_IMAGES, BASE_IMAGE]) await target.docker.getImage(image).remove({ force: true }).catch(() => undefined);
      });

      test('up --build --wait: healthy services, the app writes to PostgreSQL and Redis; the data survives down/up; PostgreSQL shuts down cleanly', async (t) => {
        if (!target) return t.skip(`${kind} engine not available`);
        const docker = target.docker;
        const up = await cli(['up', '--build', '--wait']);
        assert.equal(up.code, 0, `up --build --wait failed:\n${up.stdout}\n${up.stderr}`);

        const containers = await docker.listContainers({ filters: { label: [`com.docker.compose.project=${project}`] } });
        const byService = new Map(containers.map((c) => [c.Labels['com.docker.compose.service']!, c]));
        assert.deepEqual([...byService.keys()].sort(), ['cache', 'db', 'web']);
        for (const [service, c] of byService) {
          const state = (await docker.getContainer(c.Id).inspect()).State;
          assert.equal(state.Health?.Status, 'healthy', `${service} is ${state.Health?.Status}`);
        }
        // the database and the cache sit on the internal backend network only
        const networksOf = (service: string) => Object.keys(byService.get(service)!.NetworkSettings.Networks).sort();
        assert.deepEqual(networksOf('db'), [`${project}_backend`]);
        assert.deepEqual(networksOf('cache'), [`${project}_backend`]);
        assert.deepEqual(networksOf('web'), [`${project}_backend`, `${project}_frontend`]);
        // PID 1 of db is PostgreSQL as user postgres (the entrypoint switched user and exec'd), of cache redis-server as redis
        for (const [service, user, command] of [['db', 'postgres', 'postgres'], ['cache', 'redis', 'redis-server']]) {
          const pid1 = await cli(['exec', '-T', service!, 'sh', '-c', 'echo "$(stat -c %U /proc/1) $(cat /proc/1/comm)"']);
          assert.equal(pid1.code, 0, pid1.stderr);
          assert.equal(pid1.stdout.trim(), `${user} ${command}`);
        }

        const first = [await visit(port), await visit(port), await visit(port)];
        assert.deepEqual(first.map((v) => [v.visits, v.hits]), [[1, 1], [2, 2], [3, 3]]);
        assert.equal(first[0]!.env, 'production');

        const down = await cli(['down']);
        assert.equal(down.code, 0, down.stderr);
        const again = await cli(['up', '--wait']);
        assert.equal(again.code, 0, `second up --wait failed:\n${again.stdout}\n${again.stderr}`);
        const next = await visit(port);
        assert.deepEqual([next.visits, next.hits], [4, 4], 'visits (PostgreSQL, db-data) and hits (Redis AOF, cache-data) survive down/up');

        // the second start found the cluster shut down cleanly by the first `down`
        const logs = await cli(['logs', '--no-color', 'db']);
        assert.equal(logs.code, 0, logs.stderr);
        assert.doesNotMatch(logs.stdout, /initialized/, 'the second start reuses the data directory');
        assert.match(logs.stdout, /database system was shut down at/);
        assert.doesNotMatch(logs.stdout, /not properly shut down|automatic recovery in progress|was interrupted/);

        const gone = await cli(['down', '-v']);
        assert.equal(gone.code, 0, gone.stderr);
        const filters = { label: [`com.docker.compose.project=${project}`] };
        assert.deepEqual((await docker.listContainers({ all: true, filters })).length, 0);
        assert.deepEqual(((await docker.listVolumes({ filters })).Volumes ?? []).map((v) => v.Name), []);
        assert.deepEqual((await docker.listNetworks({ filters })).map((n) => n.Name), []);
      });
    });
  }
});
