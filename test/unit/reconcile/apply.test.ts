// The apply step (up, down, lifecycle) against an in-memory engine: what ends up on the engine, in which
// order, and how engine failures reach the user. The planner's decisions are tested in plan.test.ts; here
// the same model goes through upServices/downProject/runLifecycle, and the fake engine's state is checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineError } from '../../../src/client/errors.js';
import { UserError } from '../../../src/errors.js';
import { LABEL } from '../../../src/labels.js';
import type { Project, Service } from '../../../src/model/types.js';
import { downProject, runLifecycle, upServices, type ProgressReporter } from '../../../src/reconcile/index.js';
import type { ReconcileContext } from '../../../src/reconcile/context.js';
import { FakeEngineClient } from '../../helpers/fake-engine-client.js';
import { project, service } from './model-fixtures.js';

/** A context on a fresh fake engine that has busybox; progress lines are kept for assertions. */
function setup(p: Project) {
  const engine = new FakeEngineClient();
  engine.addImage('busybox');
  const lines: string[] = [];
  const progress: ProgressReporter = {
    update: (kind, name, status) => {
      lines.push(`${kind} ${name} ${status}`);
    },
    fail: (kind, name, message) => {
      lines.push(`FAIL ${kind} ${name} ${message}`);
    },
    note: (text) => {
      lines.push(`NOTE ${text}`);
    },
    async close() {},
  };
  // a key of its own, so tests running side by side never share a project lock
  const ctx: ReconcileContext = { engine, engineKey: `fake:${randomBytes(6).toString('hex')}`, project: p, progress };
  return { engine, ctx, lines, withProject: (next: Project): ReconcileContext => ({ ...ctx, project: next }) };
}

const names = (engine: FakeEngineClient) => [...engine.containers.values()].map((c) => c.name).sort();
const states = (engine: FakeEngineClient) => Object.fromEntries([...engine.containers.values()].map((c) => [c.name, c.state]));
const onlyMutations = (calls: string[]) => calls.filter((c) => !c.startsWith('exec'));

const db = service('db');
const web = service('web', { dependsOn: { db: { condition: 'service_started', restart: true, required: true } } });

test("an empty engine: the network, then each service's container created and started, dependencies first", async () => {
  const { engine, ctx } = setup(project([db, web]));
  await upServices(ctx, undefined);
  assert.deepEqual(names(engine), ['demo-db-1', 'demo-web-1']);
  assert.deepEqual(states(engine), { 'demo-db-1': 'running', 'demo-web-1': 'running' });
  assert.deepEqual(engine.calls, [
    'create-network demo_default',
    'create demo-db-1',
    'start demo-db-1',
    'create demo-web-1',
    'start demo-web-1',
  ]);
  const labels = engine.byName('demo-web-1')!.body.Labels!;
  assert.equal(labels[LABEL.project], 'demo');
  assert.equal(labels[LABEL.service], 'web');
  assert.equal(labels[LABEL.number], '1');
  assert.equal(engine.networks.get('demo_default')!.Labels![LABEL.network], 'default');
});

test('up twice converges: the second run changes nothing', async () => {
  const { engine, ctx } = setup(project([db, web]));
  await upServices(ctx, undefined);
  const ids = [...engine.containers.keys()].sort();
  const before = engine.calls.length;
  const { plan } = await upServices(ctx, undefined);
  assert.deepEqual(engine.calls.slice(before), []);
  assert.deepEqual([...engine.containers.keys()].sort(), ids);
  assert.deepEqual(
    Object.values(plan.services)
      .flat()
      .map((a) => a.kind),
    ['keep', 'keep'],
  );
});

test('a stopped container is started again, not recreated', async () => {
  const { engine, ctx } = setup(project([db]));
  await upServices(ctx, undefined);
  engine.exit('demo-db-1', 0);
  const id = engine.byName('demo-db-1')!.id;
  await upServices(ctx, undefined);
  assert.equal(engine.byName('demo-db-1')!.id, id);
  assert.equal(engine.byName('demo-db-1')!.state, 'running');
  assert.equal(engine.calls.at(-1), 'start demo-db-1');
});

test('a changed service is recreated under the same name; a restart: true dependent follows, others are kept', async () => {
  const worker = service('worker');
  const { engine, ctx, withProject } = setup(project([db, web, worker]));
  await upServices(ctx, undefined);
  const oldDb = engine.byName('demo-db-1')!.id;
  const oldWorker = engine.byName('demo-worker-1')!.id;
  const changed = project([service('db', { environment: { MODE: 'new' } }), web, worker]);
  const before = engine.calls.length;
  await upServices(withProject(changed), undefined);
  assert.notEqual(engine.byName('demo-db-1')!.id, oldDb);
  assert.ok(engine.byName('demo-db-1')!.body.Env!.includes('MODE=new'));
  assert.equal(engine.byName('demo-worker-1')!.id, oldWorker, 'worker untouched');
  // the old db goes before its replacement is created; web follows db
  assert.deepEqual(onlyMutations(engine.calls.slice(before)), [
    'stop demo-db-1',
    'remove demo-db-1',
    'create demo-db-1',
    'start demo-db-1',
    'stop demo-web-1',
    'remove demo-web-1',
    'create demo-web-1',
    'start demo-web-1',
  ]);
  assert.deepEqual(states(engine), { 'demo-db-1': 'running', 'demo-web-1': 'running', 'demo-worker-1': 'running' });
});

test('scale up adds the lowest free numbers; scale down removes the highest and keeps the rest', async () => {
  const { engine, ctx } = setup(project([db]));
  await upServices(ctx, undefined, { scale: { db: 3 } });
  assert.deepEqual(names(engine), ['demo-db-1', 'demo-db-2', 'demo-db-3']);
  const first = engine.byName('demo-db-1')!.id;
  const before = engine.calls.length;
  await upServices(ctx, undefined, { scale: { db: 1 } });
  assert.deepEqual(names(engine), ['demo-db-1']);
  assert.equal(engine.byName('demo-db-1')!.id, first);
  assert.deepEqual(engine.calls.slice(before).sort(), ['remove demo-db-2', 'remove demo-db-3', 'stop demo-db-2', 'stop demo-db-3']);
});

test('orphans: kept with a note by default, removed with removeOrphans', async () => {
  const { engine, ctx, lines, withProject } = setup(project([db, service('old')]));
  await upServices(ctx, undefined);
  const without = withProject(project([db]));
  await upServices(without, undefined);
  assert.deepEqual(names(engine), ['demo-db-1', 'demo-old-1']);
  assert.ok(
    lines.some((l) => l.startsWith('NOTE Found orphan containers (demo-old-1)')),
    lines.join('\n'),
  );
  await upServices(without, undefined, { removeOrphans: true });
  assert.deepEqual(names(engine), ['demo-db-1']);
});

test('a failed start surfaces as a user error naming the service; the container that never ran is removed', async () => {
  const { engine, ctx, lines } = setup(project([db, web]));
  engine.failNext(
    'startContainer',
    new EngineError(
      'internal',
      'driver failed programming external connectivity: Bind for 0.0.0.0:8080 failed: port is already allocated',
      500,
    ),
    { match: 'demo-web-1' },
  );
  await assert.rejects(
    upServices(ctx, undefined),
    (err: Error) =>
      err instanceof UserError &&
      /service "web": starting container demo-web-1 failed because host port 0\.0\.0\.0:8080 is already in use/.test(err.message),
  );
  assert.deepEqual(names(engine), ['demo-db-1'], 'web was removed, db stays');
  assert.ok(
    lines.some((l) => l.startsWith('FAIL Container demo-web-1')),
    lines.join('\n'),
  );
  // the next run starts from a clean slate and succeeds
  await upServices(ctx, undefined);
  assert.deepEqual(states(engine), { 'demo-db-1': 'running', 'demo-web-1': 'running' });
});

test('a dependency that fails stops its dependents from being created', async () => {
  const { engine, ctx } = setup(project([db, web]));
  engine.failNext('createContainer', new EngineError('invalid', 'invalid mount config', 400), { match: 'demo-db-1' });
  await assert.rejects(upServices(ctx, undefined), /service "db": creating container demo-db-1 failed: invalid mount config/);
  assert.deepEqual(names(engine), []);
});

test('service_healthy: an unhealthy dependency fails the run before the dependent is created', async () => {
  const healthyDb = service('db', { healthcheck: { test: ['CMD', 'true'], disable: false } });
  const dependent = service('web', { dependsOn: { db: { condition: 'service_healthy', restart: false, required: true } } });
  const { engine, ctx } = setup(project([healthyDb, dependent]));
  const realStart = engine.startContainer.bind(engine);
  engine.startContainer = async (id) => {
    await realStart(id);
    engine.containers.get(id)!.health = 'unhealthy';
  };
  await assert.rejects(upServices(ctx, undefined), /dependency "db" of service "web" is unhealthy/);
  assert.deepEqual(names(engine), ['demo-db-1']);
});

test('service_completed_successfully: the dependent starts after the job exited 0', async () => {
  const job = service('migrate');
  const app = service('app', { dependsOn: { migrate: { condition: 'service_completed_successfully', restart: false, required: true } } });
  const { engine, ctx } = setup(project([job, app]));
  const realStart = engine.startContainer.bind(engine);
  engine.startContainer = async (id) => {
    await realStart(id);
    if (engine.containers.get(id)!.name === 'demo-migrate-1') engine.exit('demo-migrate-1', 0);
  };
  await upServices(ctx, undefined);
  assert.deepEqual(states(engine), { 'demo-app-1': 'running', 'demo-migrate-1': 'exited' });
});

test('an external network that does not exist is a user error; another engine failure is not turned into one', async () => {
  const p = project([service('db', { networks: { outside: null } })], {
    networks: {
      outside: {
        key: 'outside',
        name: 'shared',
        external: true,
        driverOpts: {},
        internal: false,
        attachable: false,
        enableIpv6: false,
        labels: {},
      },
    },
  });
  const { ctx, engine } = setup(p);
  await assert.rejects(upServices(ctx, undefined), /network shared is declared external but does not exist/);
  engine.inspectNetwork = async () => {
    throw new EngineError('unavailable', 'connect ECONNREFUSED /run/x.sock');
  };
  await assert.rejects(upServices(ctx, undefined), (err: Error) => err instanceof EngineError && err.kind === 'unavailable');
});

test('images: a missing image is pulled once per reference; pull_policy never refuses', async () => {
  const a = service('a', { image: 'alpine:3' });
  const b = service('b', { image: 'alpine:3' });
  const { engine, ctx, withProject } = setup(project([a, b]));
  await upServices(ctx, undefined);
  assert.deepEqual(
    engine.calls.filter((c) => c.startsWith('pull')),
    ['pull alpine:3'],
  );
  const never = project([service('c', { image: 'nginx:1', pullPolicy: 'never' })]);
  await assert.rejects(upServices(withProject(never), undefined), /image nginx:1 is not present and pull_policy forbids pulling it/);
});

test('down: dependents stop first, then networks go; volumes only with volumes: true', async () => {
  const p = project([db, web], {
    volumes: { data: { key: 'data', name: 'demo_data', driverOpts: {}, external: false, labels: {} } },
  });
  const { engine, ctx } = setup(p);
  await upServices(ctx, undefined);
  assert.ok(engine.volumes.has('demo_data'));
  const before = engine.calls.length;
  await downProject(ctx, {});
  assert.deepEqual(engine.calls.slice(before), [
    'stop demo-web-1',
    'remove demo-web-1',
    'stop demo-db-1',
    'remove demo-db-1',
    'remove-network demo_default',
  ]);
  assert.ok(engine.volumes.has('demo_data'), 'named volume kept without volumes: true');
  await downProject(ctx, { volumes: true });
  assert.equal(engine.volumes.size, 0);
});

test('down tolerates what vanished meanwhile; a network still in use is reported, not thrown', async () => {
  const { engine, ctx, lines } = setup(project([db]));
  await upServices(ctx, undefined);
  engine.failNext('stopContainer', new EngineError('not-found', 'No such container', 404));
  engine.failNext('removeContainer', new EngineError('conflict', 'removal of container demo-db-1 is already in progress', 409));
  engine.failNext('removeNetwork', new EngineError('conflict', 'network demo_default has active endpoints', 409));
  await downProject(ctx, {});
  assert.ok(
    lines.some((l) => l === 'FAIL Network demo_default network demo_default has active endpoints'),
    lines.join('\n'),
  );
});

test('lifecycle: stop in reverse dependency order, start in order, a 304 counts as done', async () => {
  const { engine, ctx } = setup(project([db, web]));
  await upServices(ctx, undefined);
  let before = engine.calls.length;
  await runLifecycle(ctx, 'stop');
  assert.deepEqual(engine.calls.slice(before), ['stop demo-web-1', 'stop demo-db-1']);
  before = engine.calls.length;
  await runLifecycle(ctx, 'start');
  assert.deepEqual(engine.calls.slice(before), ['start demo-db-1', 'start demo-web-1']);
  engine.failNext('restartContainer', new EngineError('not-modified', 'nothing to do', 304));
  await runLifecycle(ctx, 'restart', ['db']);
  engine.failNext('pauseContainer', new EngineError('internal', 'cgroup freeze failed', 500));
  await assert.rejects(
    runLifecycle(ctx, 'pause', ['web']),
    (err: Error) => err instanceof UserError && /service "web": pause demo-web-1 failed: cgroup freeze failed/.test(err.message),
  );
});

test('dry run plans against the engine and touches nothing', async () => {
  const { engine, ctx } = setup(project([db, web]));
  const { dryRun } = await upServices(ctx, undefined, { dryRun: true });
  assert.deepEqual(dryRun, [
    'Network demo_default  Create',
    'Container demo-db-1  Create and start',
    'Container demo-web-1  Create and start',
  ]);
  assert.deepEqual(engine.calls, []);
});

test("a build: the image is built before its container is created, with the service's tag", async () => {
  const context = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-apply-'));
  fs.writeFileSync(path.join(context, 'Dockerfile'), 'FROM busybox\n');
  const app = service('app', {
    image: undefined,
    build: { context, dockerfile: 'Dockerfile', args: { A: '1' }, labels: {}, cacheFrom: [], extraHosts: [], tags: [], platforms: [] },
  } as Partial<Service>);
  const { engine, ctx } = setup(project([app]));
  let request: unknown;
  engine.onBuild = async (r) => {
    request = r;
  };
  try {
    await upServices(ctx, undefined);
  } finally {
    fs.rmSync(context, { recursive: true, force: true });
  }
  assert.deepEqual(engine.calls.slice(0, 3), ['build-start demo-app', 'build-end demo-app', 'create-network demo_default']);
  assert.deepEqual((request as { tags: string[]; buildArgs: Record<string, string> }).tags, ['demo-app']);
  assert.deepEqual((request as { buildArgs: Record<string, string> }).buildArgs, { A: '1' });
  assert.equal(engine.byName('demo-app-1')!.body.Image, 'demo-app');
});
