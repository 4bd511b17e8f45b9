import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph } from '../../../src/graph/index.js';
import { loadProject } from '../../../src/model/index.js';
import type { Project } from '../../../src/model/types.js';

const load = (yaml: string): Promise<Project> => loadProject({ files: ['-'], stdin: yaml, cwd: '/tmp', projectName: 'g', environment: {} });

const stack = `
services:
  proxy:
    image: proxy
    depends_on: [web]
    links: [web]
  web:
    image: web
    depends_on:
      db: {condition: service_healthy}
      cache: {condition: service_started}
    volumes: [uploads:/uploads]
    networks: [front, back]
  worker:
    image: worker
    depends_on: [db]
    volumes_from: [web]
  db:
    image: db
    volumes: [pgdata:/var/lib/postgresql/data]
    networks: [back]
  cache:
    image: cache
    networks: [back]
  sidecar:
    image: sidecar
    network_mode: service:web
volumes: {uploads: {}, pgdata: {}}
networks: {front: {}, back: {}}
`;

test('levels put dependencies first and group independent services', async () => {
  const g = buildGraph(await load(stack));
  assert.deepEqual(g.levels(), [['cache', 'db'], ['web'], ['proxy', 'sidecar', 'worker']]);
  assert.deepEqual(g.stopLevels(), [['proxy', 'sidecar', 'worker'], ['web'], ['cache', 'db']]);
});

test('direct and transitive dependencies and dependents', async () => {
  const g = buildGraph(await load(stack));
  assert.deepEqual(g.dependenciesOf('web'), ['cache', 'db']);
  assert.deepEqual(g.dependenciesOf('worker'), ['db', 'web']);
  assert.deepEqual(g.dependentsOf('web'), ['proxy', 'sidecar', 'worker']);
  assert.deepEqual(g.transitiveDependenciesOf('proxy'), ['cache', 'db', 'web']);
  assert.deepEqual(g.transitiveDependentsOf('db'), ['proxy', 'sidecar', 'web', 'worker']);
  assert.deepEqual(g.levelsFor(['worker']), [['cache', 'db'], ['web'], ['worker']]);
});

test('edges record their origin; network and volume use is queryable', async () => {
  const g = buildGraph(await load(stack));
  const kinds = g.edges
    .filter((e) => e.from === 'proxy' || e.from === 'sidecar' || e.from === 'worker')
    .map((e) => `${e.from}>${e.to}:${e.kind}`)
    .sort();
  // network_mode service: and volumes_from also add an implicit depends_on in the model, as in compose-go
  assert.deepEqual(kinds, [
    'proxy>web:depends_on',
    'proxy>web:links',
    'sidecar>web:depends_on',
    'sidecar>web:network_mode',
    'worker>db:depends_on',
    'worker>web:depends_on',
    'worker>web:volumes_from',
  ]);
  assert.deepEqual(g.networksOf('web'), ['back', 'front']);
  assert.deepEqual(g.servicesUsingNetwork('back'), ['cache', 'db', 'web']);
  assert.deepEqual(g.volumesOf('db'), ['pgdata']);
  assert.deepEqual(g.servicesUsingVolume('uploads'), ['web']);
});

test('nodes and resource edges cover services, networks and volumes', async () => {
  const g = buildGraph(await load(stack));
  assert.deepEqual(
    g.nodes.filter((n) => n.kind !== 'service').map((n) => `${n.kind}:${n.name}`),
    ['network:back', 'network:default', 'network:front', 'volume:pgdata', 'volume:uploads'],
  );
  assert.deepEqual(
    g.resourceEdges.filter((e) => e.from === 'web').map((e) => `${e.to.kind}:${e.to.name}`),
    ['network:back', 'network:front', 'volume:uploads'],
  );
});

// the loader refuses a cyclic file (as compose-go does), so the cycle is added to a loaded project
test('a cycle is a user error that prints it', async () => {
  const p = await load('services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n  c: {image: x}\n  d: {image: x}\n');
  p.services.c!.dependsOn.a = { condition: 'service_started', restart: false, required: true };
  assert.throws(() => buildGraph(p), { name: 'UserError', message: 'dependency cycle between services: a → b → c → a' });
});

test('a cycle through links and network_mode is found too', async () => {
  const p = await load('services:\n  a: {image: x, links: [b]}\n  b: {image: x}\n');
  p.services.b!.networkMode = 'service:a';
  assert.throws(() => buildGraph(p), /a → b → a/);
});

test('unknown services are user errors', async () => {
  const g = buildGraph(await load('services:\n  a: {image: x}\n'));
  assert.throws(() => g.dependenciesOf('zzz'), /no such service: zzz/);
});
