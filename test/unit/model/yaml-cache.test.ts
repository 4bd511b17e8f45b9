// The YAML cache: what it gives back is what reading the text gave (values and every position), it is used
// only in a directory nobody else can write, and a foreign, corrupt or missing entry means reading the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readYaml } from '../../../src/model/yaml-reader.js';
import { decodeLocated, encodeLocated } from '../../../src/model/located-codec.js';
import { infoOf, tagOf, type PlainMap } from '../../../src/model/located.js';
import { locatedTree as located } from '../../helpers/located-tree.js';
import { openYamlCache } from '../../../src/model/yaml-cache.js';
import { cacheDirectory, isPrivateDirectory } from '../../../src/cache-directory.js';

const STACK = `x-base: &base
  restart: always
  labels: {a: "1", b: !reset null}
services:
  web:
    <<: *base
    image: nginx:\${TAG:-1}
    command: [sh, -c, "echo hi"]
    ports:
      - "80:80"
      - target: 443
        published: 8443
    healthcheck:
      test: |
        curl -f http://localhost
      interval: 0400
  db:
    image: postgres
    environment: !override
      - A=1
`;

const tempDir = (mode = 0o700) => {
  const dir = fs.mkdtempSync(path.join(os.homedir(), '.tsc-cache-test-'));
  fs.chmodSync(dir, mode);
  return dir;
};

test('decoding what was encoded gives the values and positions that reading gave', () => {
  const read = readYaml(STACK, '/p/compose.yaml');
  const back = decodeLocated(encodeLocated(read), '/p/compose.yaml');
  assert.deepEqual(located(back), located(read));
  assert.equal((back as { services: { web: { healthcheck: { interval: number } } } }).services.web.healthcheck.interval, 0o400);
});

test('positions are read only when asked for, and a list of them that does not parse leaves them unknown', () => {
  const read = readYaml(STACK, '/p/compose.yaml');
  const [values, positions] = encodeLocated(read).split('\n');
  assert.ok(values && positions && !values.includes('"i":'), 'the values line holds no positions');
  const intact = decodeLocated(`${values}\n${positions}`, '/p/compose.yaml') as PlainMap;
  assert.deepEqual(located(intact), located(read));
  const broken = decodeLocated(`${values}\n${positions.replaceAll('1', '?')}`, '/p/compose.yaml') as PlainMap;
  assert.deepEqual(broken, read, 'the values are all there');
  assert.equal(infoOf(broken.services as object), undefined, 'no positions rather than wrong ones');
  assert.equal(tagOf((broken.services as PlainMap).db as object, 'environment'), undefined);
  assert.equal(tagOf((intact.services as PlainMap).db as object, 'environment'), 'override', 'the tag is read from an intact list');
});

test('an entry is given back for the same text only, with the positions in the file it is read for', () => {
  const dir = tempDir();
  try {
    const cache = openYamlCache(dir, 'reader-1')!;
    assert.ok(cache, 'a private directory is used');
    assert.equal(cache.get(STACK, '/a/compose.yaml'), undefined);
    cache.put(STACK, readYaml(STACK, '/a/compose.yaml'));
    assert.deepEqual(located(cache.get(STACK, '/b/compose.yaml')!), located(readYaml(STACK, '/b/compose.yaml')));
    assert.equal(cache.get(STACK + '\n# changed\n', '/a/compose.yaml'), undefined, 'another text');
    assert.equal(openYamlCache(dir, 'reader-2')!.get(STACK, '/a/compose.yaml'), undefined, 'another reader');
    const [entry] = fs.readdirSync(path.join(dir, 'yaml'));
    assert.equal(fs.statSync(path.join(dir, 'yaml', entry!)).mode & 0o777, 0o600);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt entry, or one another user owns, is not used', () => {
  const dir = tempDir();
  try {
    const cache = openYamlCache(dir, 'r')!;
    cache.put(STACK, readYaml(STACK, 'f'));
    const entry = path.join(dir, 'yaml', fs.readdirSync(path.join(dir, 'yaml'))[0]!);
    const good = fs.readFileSync(entry, 'utf8');
    fs.writeFileSync(entry, good.slice(0, good.length / 2));
    assert.equal(cache.get(STACK, 'f'), undefined, 'truncated');
    fs.writeFileSync(entry, JSON.stringify({ v: { services: {} }, i: [] }));
    assert.equal(cache.get(STACK, 'f'), undefined, 'no line of positions');
    fs.writeFileSync(entry, `${JSON.stringify({ v: { services: {} }, n: 5, t: [], z: [], p: 11 })}\n[0,0,0,0,0]`);
    assert.equal(cache.get(STACK, 'f'), undefined, 'another number of containers than the values have');
    if (process.getuid?.() === 0) {
      fs.writeFileSync(entry, good);
      fs.chownSync(entry, 65534, 65534);
      assert.equal(cache.get(STACK, 'f'), undefined, 'owned by nobody');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a directory that another user can write, or that is under one, is not used', () => {
  const open = tempDir(0o777);
  const under = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-cache-test-')); // /tmp is writable by everyone
  const sticky = tempDir(0o770);
  try {
    assert.equal(isPrivateDirectory(open), false);
    assert.equal(openYamlCache(open, 'r'), undefined);
    assert.equal(openYamlCache(under, 'r'), undefined);
    assert.equal(openYamlCache(sticky, 'r'), undefined, 'group-writable');
    assert.equal(fs.existsSync(path.join(open, 'yaml')) && fs.readdirSync(path.join(open, 'yaml')).length, 0);
    if (process.getuid?.() === 0) {
      const foreign = tempDir();
      fs.chownSync(foreign, 65534, 65534);
      try {
        assert.equal(openYamlCache(foreign, 'r'), undefined, 'owned by nobody');
      } finally {
        fs.rmSync(foreign, { recursive: true, force: true });
      }
    }
  } finally {
    for (const d of [open, under, sticky]) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('the cache directory: TSCOMPOSE_CACHE_DIR, XDG_CACHE_HOME, HOME; TSCOMPOSE_CACHE=0 turns it off', () => {
  assert.equal(cacheDirectory({ TSCOMPOSE_CACHE_DIR: '/x/c', HOME: '/h' }), '/x/c');
  assert.equal(cacheDirectory({ XDG_CACHE_HOME: '/x', HOME: '/h' }), '/x/tscompose');
  assert.equal(cacheDirectory({ XDG_CACHE_HOME: 'relative', HOME: '/h' }), '/h/.cache/tscompose');
  assert.equal(cacheDirectory({ HOME: '/h' }), '/h/.cache/tscompose');
  assert.equal(cacheDirectory({ TSCOMPOSE_CACHE: '0', HOME: '/h' }), undefined);
});

test('a file holding .inf or .nan is not cached: JSON would give it back as null', () => {
  const dir = tempDir();
  try {
    const cache = openYamlCache(dir, 'r')!;
    for (const text of ['services:\n  a:\n    image: x\n    cpus: .inf\n', 'x-n: [1, .nan]\nservices: {}\n']) {
      cache.put(text, readYaml(text, 'f'));
      assert.equal(cache.get(text, 'f'), undefined, text);
    }
    assert.deepEqual(fs.readdirSync(path.join(dir, 'yaml')), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('__proto__ as a key is never cached: it would not come back as it was read', () => {
  const dir = tempDir();
  try {
    const text = 'services:\n  a:\n    image: x\n    labels:\n      __proto__: y\n';
    const cache = openYamlCache(dir, 'r')!;
    cache.put(text, readYaml(text, 'f'));
    assert.equal(cache.get(text, 'f'), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
