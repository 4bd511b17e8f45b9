import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planUp, describePlan } from '../../../src/reconcile/plan.js';
import { serviceConfigHash } from '../../../src/reconcile/config-hash.js';
import { container, observed, project, service } from './model-fixtures.js';

const db = service('db');
const web = service('web', { dependsOn: { db: { condition: 'service_healthy', restart: true, required: true } } });
const worker = service('worker', { dependsOn: { db: { condition: 'service_started', restart: false, required: true } } });
const p = project([db, web, worker]);
const current = (svc: ReturnType<typeof service>, n = 1, extra = {}) =>
  container(svc.name, n, { configHash: serviceConfigHash(svc), ...extra });

test('an empty engine: create everything, network first, dependencies in earlier levels', () => {
  const plan = planUp(p, observed([]));
  assert.deepEqual(plan.levels, [['db'], ['web', 'worker']]);
  assert.deepEqual(plan.networks, [{ key: 'default', name: 'demo_default', action: 'create' }]);
  assert.deepEqual(plan.services.web, [{ kind: 'create', service: 'web', number: 1, name: 'demo-web-1' }]);
});

test('nothing changed: every container is kept', () => {
  const plan = planUp(p, observed([current(db), current(web), current(worker)], { networks: [{ id: 'n', name: 'demo_default' }] }));
  for (const s of ['db', 'web', 'worker'])
    assert.deepEqual(
      plan.services[s].map((a) => a.kind),
      ['keep'],
    );
  assert.equal(plan.networks[0].action, 'keep');
});

test('a changed config hash recreates that service only; restart: true dependents follow', () => {
  const plan = planUp(p, observed([current(db, 1, { configHash: 'old' }), current(web), current(worker)]));
  assert.equal(plan.services.db[0].kind, 'recreate');
  assert.equal(plan.services.web[0].kind, 'recreate'); // depends on db with restart: true
  assert.match((plan.services.web[0] as { reason: string }).reason, /db/);
  assert.equal(plan.services.worker[0].kind, 'keep');
});

test('a changed image recreates; --no-recreate and --force-recreate win', () => {
  const obs = observed([current(db, 1, { imageId: 'sha256:old' })], { images: { busybox: 'sha256:new' } });
  assert.equal(planUp(p, obs, { services: ['db'] }).services.db[0].kind, 'recreate');
  assert.equal(planUp(p, obs, { services: ['db'], noRecreate: true }).services.db[0].kind, 'keep');
  const same = observed([current(db)]);
  assert.equal(planUp(p, same, { services: ['db'], forceRecreate: true }).services.db[0].kind, 'recreate');
});

test('stopped containers are started, unless --no-start', () => {
  const obs = observed([current(db, 1, { state: 'exited' })]);
  assert.equal(planUp(p, obs, { services: ['db'] }).services.db[0].kind, 'start');
  assert.equal(planUp(p, obs, { services: ['db'], noStart: true }).services.db[0].kind, 'keep');
});

test('scale up fills the missing numbers, scale down removes the highest', () => {
  const up = planUp(p, observed([current(worker, 2)]), { services: ['worker'], noDeps: true, scale: { worker: 3 } });
  assert.deepEqual(
    up.services.worker.map((a) => [a.kind, 'number' in a ? a.number : a.container.number]),
    [
      ['keep', 2],
      ['create', 1],
      ['create', 3],
    ],
  );
  const down = planUp(p, observed([current(worker, 1), current(worker, 2), current(worker, 3)]), {
    services: ['worker'],
    noDeps: true,
    scale: { worker: 1 },
  });
  assert.deepEqual(
    down.services.worker.map((a) => [a.kind, 'container' in a ? a.container.number : 0]),
    [
      ['remove', 2],
      ['remove', 3],
      ['keep', 1],
    ],
  );
});

test('scale and deploy.replicas set the replica count', () => {
  const scaled = project([service('a', { scale: 2 }), service('b', { deploy: { replicas: 3, labels: {} } })]);
  const plan = planUp(scaled, observed([]));
  assert.equal(plan.services.a.length, 2);
  assert.equal(plan.services.b.length, 3);
});

test('naming services selects their dependencies unless --no-deps', () => {
  assert.deepEqual(planUp(p, observed([]), { services: ['web'] }).levels, [['db'], ['web']]);
  assert.deepEqual(planUp(p, observed([]), { services: ['web'], noDeps: true }).levels, [['web']]);
  assert.throws(() => planUp(p, observed([]), { services: ['nope'] }), /no such service: "nope"/);
});

test('orphans are reported, and removed only on request; container_name is honoured', () => {
  const named = project([service('db', { containerName: 'the-db' })]);
  const plan = planUp(named, observed([container('gone', 1)]));
  assert.deepEqual(
    plan.orphans.map((o) => o.name),
    ['demo-gone-1'],
  );
  assert.equal(plan.removeOrphans, false);
  assert.equal((plan.services.db[0] as { name: string }).name, 'the-db');
  assert.ok(describePlan(plan).some((l) => /Orphan.*--remove-orphans/.test(l)));
  assert.ok(
    describePlan(planUp(named, observed([container('gone', 1)]), { removeOrphans: true })).includes(
      'Container demo-gone-1  Remove (orphan)',
    ),
  );
});

test('a dependency cycle is a clear error', () => {
  const a = service('a', { dependsOn: { b: { condition: 'service_started', restart: false, required: true } } });
  const b = service('b', { dependsOn: { a: { condition: 'service_started', restart: false, required: true } } });
  assert.throws(() => planUp(project([a, b]), observed([])), /cycle.*a -> b -> a|cycle.*b -> a -> b/);
});

test('external networks and volumes are checked, not created', () => {
  const ext = project([service('a', { networks: { front: null } })], {
    networks: {
      front: {
        key: 'front',
        name: 'shared',
        driverOpts: {},
        external: true,
        internal: false,
        attachable: false,
        enableIpv6: false,
        labels: {},
      },
    },
    volumes: { data: { key: 'data', name: 'demo_data', driverOpts: {}, external: false, labels: {} } },
  });
  const plan = planUp(ext, observed([]));
  assert.deepEqual(plan.networks, [{ key: 'front', name: 'shared', action: 'external' }]);
  assert.deepEqual(plan.volumes, [{ key: 'data', name: 'demo_data', action: 'create' }]);
});

test('recreating a network_mode owner recreates the services that share its namespace', () => {
  const owner = service('vpn');
  const rider = service('app', { networkMode: 'service:vpn' });
  const pr = project([owner, rider]);
  const plan = planUp(pr, observed([current(owner, 1, { configHash: 'old' }), current(rider)]));
  assert.equal(plan.services.vpn[0].kind, 'recreate');
  assert.equal(plan.services.app[0].kind, 'recreate');
});
