// The decisions of a swarm deploy, on plain data: what to create/update/leave, when a service has converged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planServices } from '../../../src/swarm/plan.js';
import { pollInterval } from '../../../src/swarm/deploy.js';
import { serviceConvergence } from '../../../src/swarm/converge.js';
import { nodeNames, taskRows } from '../../../src/swarm/tasks.js';
import { splitDetails } from '../../../src/swarm/logs.js';
import type { StackService, SwarmTask } from '../../../src/swarm/api.js';
import type { SwarmServiceSpec } from '../../../src/swarm/spec-types.js';

const spec = (name: string, hash: string, mode: SwarmServiceSpec['Mode'] = { Replicated: { Replicas: 2 } }): SwarmServiceSpec => ({
  Name: name,
  Labels: { 'com.tscompose.swarm.spec-hash': hash },
  TaskTemplate: { ContainerSpec: { Image: 'img', Labels: { 'com.tscompose.swarm.task-hash': `t-${hash}` } } },
  Mode: mode,
});
const observed = (s: SwarmServiceSpec, extra: Partial<StackService> = {}): StackService => ({
  ID: `id-${s.Name}`,
  Version: { Index: 7 },
  Spec: s,
  ...extra,
});
const task = (svc: StackService, slot: number, state: string, extra: Partial<SwarmTask> = {}): SwarmTask => ({
  ID: `task-${slot}-${state}`,
  ServiceID: svc.ID,
  Slot: slot,
  NodeID: 'node1',
  DesiredState: 'running',
  Spec: { ContainerSpec: { Labels: { ...svc.Spec!.TaskTemplate.ContainerSpec.Labels } } },
  Status: { State: state },
  ...extra,
});

test('plan: only services whose spec hash changed are updated; unknown ones are orphans unless services are selected', () => {
  const plan = planServices(
    [spec('s_a', '1'), spec('s_b', '2'), spec('s_c', '3')],
    [observed(spec('s_a', '1')), observed(spec('s_b', 'old')), observed(spec('s_gone', '9'))],
  );
  assert.deepEqual(
    plan.create.map((s) => s.Name),
    ['s_c'],
  );
  assert.deepEqual(
    plan.update.map((u) => [u.spec.Name, u.id, u.version]),
    [['s_b', 'id-s_b', 7]],
  );
  assert.deepEqual(plan.unchanged, ['s_a']);
  assert.deepEqual(plan.orphans, [{ id: 'id-s_gone', name: 's_gone' }]);
  assert.deepEqual(planServices([spec('s_a', '1')], [observed(spec('s_gone', '9'))], { selected: true }).orphans, []);
  assert.deepEqual(
    planServices([spec('s_a', '1')], [observed(spec('s_a', '1'))], { forceUpdate: true }).update.map((u) => u.spec.Name),
    ['s_a'],
  );
});

test('converge: done when every replica of the current template runs; old-template tasks do not count', () => {
  const svc = observed(spec('s_web', 'new'));
  const old = observed(spec('s_web', 'old'));
  const opts = { maxFailures: 3 };
  assert.equal(serviceConvergence(svc, [task(svc, 1, 'running'), task(svc, 2, 'running')], opts).status, 'done');
  const oldTask = { ...task(old, 2, 'running'), ServiceID: svc.ID };
  const pending = serviceConvergence(svc, [task(svc, 1, 'running'), oldTask, task(svc, 2, 'preparing')], opts);
  assert.deepEqual([pending.status, pending.status !== 'done' && pending.detail], ['pending', '1/2 tasks running; s_web.2: preparing']);
  assert.equal(
    serviceConvergence({ ...svc, UpdateStatus: { State: 'updating' } }, [task(svc, 1, 'running'), task(svc, 2, 'running')], opts).status,
    'pending',
  );
});

test('converge: a starting task (not yet healthy, or not yet started) does not count', () => {
  const svc = observed(spec('s_db', 'h', { Replicated: { Replicas: 1 } }));
  assert.equal(serviceConvergence(svc, [task(svc, 1, 'starting')], { maxFailures: 3 }).status, 'pending');
  assert.equal(serviceConvergence(svc, [task(svc, 1, 'running')], { maxFailures: 3 }).status, 'done');
});

test('converge: repeated task failures and a rolled back update fail, naming the task and its error', () => {
  const svc = observed(spec('s_api', 'h'));
  const failed = (n: number) =>
    task(svc, 1, 'failed', {
      ID: `f${n}`,
      DesiredState: 'shutdown',
      UpdatedAt: `2026-01-0${n}`,
      Status: { State: 'failed', Err: `task: non-zero exit (${n})` },
    });
  const c = serviceConvergence(svc, [failed(1), failed(2), failed(3)], { maxFailures: 3 });
  assert.deepEqual(
    [c.status, c.status !== 'done' && c.detail],
    ['failed', '3 tasks failed, the last one s_api.1: failed: task: non-zero exit (3)'],
  );
  assert.equal(serviceConvergence(svc, [failed(1)], { maxFailures: 3 }).status, 'pending');
  const once = observed({
    ...spec('s_once', 'h'),
    TaskTemplate: { ...spec('s_once', 'h').TaskTemplate, RestartPolicy: { Condition: 'none' } },
  });
  const final = serviceConvergence(once, [{ ...failed(1), ServiceID: once.ID }], { maxFailures: 3 });
  assert.deepEqual([final.status, final.status !== 'done' && final.detail], ['failed', 'failed: task: non-zero exit (1)']);
  const twice = observed({
    ...spec('s_twice', 'h'),
    TaskTemplate: { ...spec('s_twice', 'h').TaskTemplate, RestartPolicy: { MaxAttempts: 1 } },
  });
  assert.equal(serviceConvergence(twice, [{ ...failed(1), ServiceID: twice.ID }], { maxFailures: 3 }).status, 'pending');
  assert.equal(
    serviceConvergence(
      twice,
      [
        { ...failed(1), ServiceID: twice.ID },
        { ...failed(2), ServiceID: twice.ID },
      ],
      { maxFailures: 3 },
    ).status,
    'failed',
  );
  const rolled = serviceConvergence({ ...svc, UpdateStatus: { State: 'rollback_completed', Message: 'rollback completed' } }, [], {
    maxFailures: 3,
  });
  assert.deepEqual([rolled.status, rolled.status !== 'done' && rolled.detail], ['failed', 'update rollback completed: rollback completed']);
});

test("converge: global services follow the manager's desired count; jobs converge when complete", () => {
  const agent = observed(spec('s_agent', 'g', { Global: {} }), { ServiceStatus: { RunningTasks: 2, DesiredTasks: 3 } });
  assert.equal(serviceConvergence(agent, [task(agent, 0, 'running'), task(agent, 0, 'running')], { maxFailures: 3 }).status, 'pending');
  const job = observed(spec('s_migrate', 'j', { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } }));
  assert.equal(serviceConvergence(job, [task(job, 1, 'running')], { maxFailures: 3 }).status, 'pending');
  assert.equal(serviceConvergence(job, [task(job, 1, 'complete', { DesiredState: 'complete' })], { maxFailures: 3 }).status, 'done');
});

test('ps rows: task name, node, states, error, ports once; shut down history only with --all', () => {
  const svc = observed(spec('shop_web', 'h'));
  const tasks = [
    task(svc, 2, 'running', {
      NodeID: 'n2',
      Status: {
        State: 'running',
        PortStatus: {
          Ports: [
            { PublishedPort: 80, TargetPort: 8080, Protocol: 'tcp' },
            { PublishedPort: 80, TargetPort: 8080, Protocol: 'tcp' },
          ],
        },
      },
    }),
    task(svc, 1, 'rejected', { DesiredState: 'shutdown', Status: { State: 'rejected', Err: 'No such image: img' } }),
  ];
  const names = nodeNames([
    { ID: 'node1', Description: { Hostname: 'a' } },
    { ID: 'n2', Description: { Hostname: 'b' } },
  ]);
  const rows = taskRows('shop', [svc], tasks, names, { all: true });
  assert.deepEqual(
    rows.map((r) => [r.name, r.service, r.node, r.desired, r.current.split(' ')[0], r.error, r.ports]),
    [
      ['shop_web.1', 'web', 'a', 'Shutdown', 'Rejected', 'No such image: img', ''],
      ['shop_web.2', 'web', 'b', 'Running', 'Running', '', '*:80->8080/tcp'],
    ],
  );
  assert.deepEqual(
    taskRows('shop', [svc], tasks, names).map((r) => r.name),
    ['shop_web.2'],
  );
  assert.deepEqual(
    [
      ...nodeNames([
        { ID: 'abcdef123', Description: { Hostname: 'vm' } },
        { ID: 'zyxwvu987', Description: { Hostname: 'vm' } },
      ]).values(),
    ],
    ['vm-abcdef', 'vm-zyxwvu'],
  );
});

test('log details are split from the text', () => {
  assert.deepEqual(splitDetails('com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1 hello world'), {
    details: { 'com.docker.swarm.node.id': 'n1', 'com.docker.swarm.service.id': 's1', 'com.docker.swarm.task.id': 't1' },
    text: 'hello world',
  });
  assert.deepEqual(splitDetails('plain line'), { details: {}, text: 'plain line' });
});

test('the convergence poll slows down as the stack grows (each poll lists every task)', () => {
  assert.deepEqual([1, 20, 100, 300, 1000, 5000].map(pollInterval), [500, 500, 500, 1500, 5000, 5000]);
});
