import { test } from 'node:test';
import assert from 'node:assert/strict';
import Docker from 'dockerode';
import { dockerEngineClient } from '../../../src/client/docker-engine-client.js';
import { UserError } from '../../../src/errors.js';
import type { Project, Service, WatchRule } from '../../../src/model/types.js';
import { startWatch, watchedServices } from '../../../src/watch/index.js';

const rule = (r: Partial<WatchRule> & Pick<WatchRule, 'action'>): WatchRule => ({
  path: '/tmp/x',
  ignore: [],
  include: [],
  initialSync: false,
  ...r,
});
const service = (name: string, watch?: WatchRule[], build = false) =>
  ({
    name,
    develop: watch && { watch },
    ...(build ? { build: { context: '/tmp' } } : {}),
  }) as unknown as Service;
const project = (...services: Service[]) =>
  ({ name: 'p', workingDir: '/tmp', services: Object.fromEntries(services.map((s) => [s.name, s])) }) as unknown as Project;

test('without names, every service with develop.watch rules is watched', () => {
  const p = project(
    service('web', [rule({ action: 'sync', target: '/app' })]),
    service('db'),
    service('api', [rule({ action: 'restart' })]),
  );
  assert.deepEqual(watchedServices(p), ['web', 'api']);
  assert.deepEqual(watchedServices(p, []), ['web', 'api']);
  assert.deepEqual(watchedServices(p, ['api']), ['api']);
});

test('unknown services, services without rules and stacks without any rules are user errors', () => {
  const p = project(service('web', [rule({ action: 'sync', target: '/app' })]), service('db'));
  assert.throws(
    () => watchedServices(p, ['nope']),
    (e: Error) => e instanceof UserError && /no such service: nope/.test(e.message),
  );
  assert.throws(
    () => watchedServices(p, ['db']),
    (e: Error) => e instanceof UserError && /"db" has no develop.watch/.test(e.message),
  );
  assert.throws(
    () => watchedServices(project(service('db'))),
    (e: Error) => e instanceof UserError && /none of the selected services/.test(e.message),
  );
});

test('rules that cannot work are rejected before anything is watched', async () => {
  const engine = dockerEngineClient(new Docker({ socketPath: '/nonexistent.sock' }));
  const cases: [Service, RegExp][] = [
    [service('web', [rule({ action: 'rebuild' })]), /"rebuild" but no "build"/],
    [service('web', [rule({ action: 'sync' })]), /"sync" for \/tmp\/x but no "target"/],
    [service('web', [rule({ action: 'sync+exec', target: '/app' })]), /no "exec.command"/],
  ];
  for (const [s, message] of cases) {
    await assert.rejects(startWatch({ project: project(s), engine }), (e: Error) => e instanceof UserError && message.test(e.message));
  }
});
