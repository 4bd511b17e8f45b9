// Accepted documents remembered by hash: the same document under the same validator is found again; another
// document, another validator, a number JSON cannot write, or a directory another user can write are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openValidatedDocuments } from '../../../src/model/validation-cache.js';

function withDirs(fn: (cache: string, validator: URL) => void): void {
  const cache = fs.mkdtempSync(path.join(os.homedir(), '.tsc-valid-test-'));
  const validator = path.join(cache, 'validator.cjs');
  fs.writeFileSync(validator, 'module.exports = () => true;');
  try {
    fn(cache, pathToFileURL(validator));
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
}

test('an accepted document is found again, by the same validator only', () => {
  withDirs((cache, validator) => {
    const docs = openValidatedDocuments([validator], cache)!;
    const doc = { services: { web: { image: 'nginx', ports: ['80:80'] } } };
    const key = docs.keyOf(doc)!;
    assert.equal(docs.has(key), false);
    docs.add(key);
    assert.equal(docs.has(docs.keyOf(structuredClone(doc))!), true, 'an equal document');
    assert.equal(docs.has(docs.keyOf({ services: { web: { image: 'nginx', ports: [80] } } })!), false, 'another document');
    fs.writeFileSync(validator, 'module.exports = () => false;');
    const other = openValidatedDocuments([validator], cache)!;
    assert.equal(other.has(other.keyOf(doc)!), false, 'another validator');
  });
});

test('a document holding NaN or Infinity is not keyed: JSON would write it as null', () => {
  withDirs((cache, validator) => {
    const docs = openValidatedDocuments([validator], cache)!;
    assert.equal(docs.keyOf({ a: Number.NaN }), undefined);
    assert.equal(docs.keyOf({ a: [Infinity] }), undefined);
    assert.ok(docs.keyOf({ a: null }));
  });
});

test('a marker another user owns is not believed, and a directory others can write is not used', () => {
  withDirs((cache, validator) => {
    const docs = openValidatedDocuments([validator], cache)!;
    const key = docs.keyOf({ x: 1 })!;
    docs.add(key);
    if (process.getuid?.() === 0) {
      fs.chownSync(path.join(cache, 'valid', `${key}.ok`), 65534, 65534);
      assert.equal(docs.has(key), false);
    }
    fs.chmodSync(cache, 0o777);
    assert.equal(openValidatedDocuments([validator], cache), undefined);
  });
});
