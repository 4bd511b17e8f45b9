import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerPathFor, coveredByBindMount, outermostPaths, relativeToRule } from '../../../src/watch/path-mapping.js';

test('a file under a watched directory maps under the target', () => {
  const rule = { path: '/src/app', target: '/app' };
  assert.equal(containerPathFor(rule, '/src/app/index.js'), '/app/index.js');
  assert.equal(containerPathFor(rule, '/src/app/lib/deep/x.js'), '/app/lib/deep/x.js');
  assert.equal(containerPathFor(rule, '/src/app'), '/app');
});

test('a watched file maps to the target itself', () => {
  assert.equal(containerPathFor({ path: '/src/package.json', target: '/app/package.json' }, '/src/package.json'), '/app/package.json');
});

test('paths outside the rule, siblings with a common prefix, and rules without a target map to nothing', () => {
  assert.equal(containerPathFor({ path: '/src/app', target: '/app' }, '/src/other/x'), undefined);
  assert.equal(containerPathFor({ path: '/src/app', target: '/app' }, '/src/app-2/x'), undefined);
  assert.equal(containerPathFor({ path: '/src/app', target: undefined }, '/src/app/x'), undefined);
  assert.equal(relativeToRule('/src/app', '/src'), undefined);
  assert.equal(relativeToRule('/src/app', '/src/app/..x'), '..x');
});

test('a target with a trailing slash or dots is normalized', () => {
  assert.equal(containerPathFor({ path: '/src', target: '/app/' }, '/src/a'), '/app/a');
  assert.equal(containerPathFor({ path: '/src', target: '/app/./x/..' }, '/src'), '/app');
});

test('outermostPaths keeps only paths no other listed path contains', () => {
  assert.deepEqual(outermostPaths(['/a/b/c', '/a', '/a-b/c', '/a/b', '/z', '/a-b/c']), ['/a', '/a-b/c', '/z']);
  assert.deepEqual(outermostPaths([]), []);
});

test('a sync rule whose path a bind mount already maps to its target is recognised', () => {
  const binds = [
    { type: 'bind', source: '/src', target: '/app' },
    { type: 'volume', source: 'data', target: '/data' },
  ];
  assert.equal(coveredByBindMount({ path: '/src', target: '/app' }, binds), true);
  assert.equal(coveredByBindMount({ path: '/src/web', target: '/app/web/' }, binds), true);
  assert.equal(coveredByBindMount({ path: '/src/web', target: '/srv' }, binds), false);
  assert.equal(coveredByBindMount({ path: '/other', target: '/app' }, binds), false);
  assert.equal(coveredByBindMount({ path: '/data', target: '/data' }, binds), false);
});
