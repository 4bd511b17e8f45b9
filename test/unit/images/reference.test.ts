import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalName, familiarName, parseReference } from '../../../src/engine/images/reference.js';
import { referenceMatches } from '../../../src/engine/images/api-format.js';

test('Docker Hub name rules', () => {
  assert.equal(canonicalName(parseReference('redis')), 'docker.io/library/redis:latest');
  assert.equal(canonicalName(parseReference('bitnami/redis:7')), 'docker.io/bitnami/redis:7');
  assert.equal(canonicalName(parseReference('index.docker.io/library/redis')), 'docker.io/library/redis:latest');
  assert.equal(canonicalName(parseReference('localhost:5000/a/b')), 'localhost:5000/a/b:latest');
  assert.equal(canonicalName(parseReference('localhost/a')), 'localhost/a:latest');
  const d = 'sha256:' + 'a'.repeat(64);
  assert.deepEqual(parseReference(`ghcr.io/x/y@${d}`), { domain: 'ghcr.io', path: 'x/y', tag: undefined, digest: d });
  assert.equal(canonicalName(parseReference(`ghcr.io/x/y@${d}`)), `ghcr.io/x/y@${d}`);
});

test('invalid references are user errors', () => {
  for (const bad of ['Upper/case', 'a b', 'x@sha256:short', 'x:', ''])
    assert.throws(() => parseReference(bad), /invalid reference format/, bad);
});

test('familiar names and the reference filter', () => {
  assert.equal(familiarName('docker.io/library/redis:latest'), 'redis:latest');
  assert.equal(familiarName('docker.io/a/b:1'), 'a/b:1');
  assert.equal(familiarName('localhost:5000/a:1'), 'localhost:5000/a:1');
  assert.ok(referenceMatches('redis', 'docker.io/library/redis:7'));
  assert.ok(referenceMatches('redis:7*', 'docker.io/library/redis:7.2'));
  assert.ok(!referenceMatches('redis:6', 'docker.io/library/redis:7'));
  assert.ok(referenceMatches('a/*', 'docker.io/a/b:1'));
  assert.ok(!referenceMatches('red', 'docker.io/library/redis:7'));
});
