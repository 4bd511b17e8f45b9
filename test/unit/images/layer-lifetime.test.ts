// When layer directories and blobs go away, and what still refers to them: image removal keeps
// layers other images or running builds use; lost layers are unpacked again from their blobs; the
// build cache never serves a config or layer whose content is gone.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, test } from 'node:test';
import { BuildCache } from '../../../src/engine/images/build/cache.js';
import { ingestLayer } from '../../../src/engine/images/layer-ingest.js';
import type { Descriptor, ImageConfig } from '../../../src/engine/images/oci.js';
import { ImageStore } from '../../../src/engine/images/store.js';
import { tarball } from '../../integration/images/fixtures.js';

let dir: string;
let store: ImageStore;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-img-lifetime-'));
  store = new ImageStore(path.join(dir, 'images'), path.join(dir, 'layers'), path.join(dir, 'tmp'));
  await store.init();
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function layer(file: string): Promise<{ descriptor: Descriptor; diffID: string }> {
  return ingestLayer(store, Readable.from(await tarball([{ name: file, content: `${file}\n`, mode: 0o644 }])));
}

function config(diffIDs: string[], tag: string): ImageConfig {
  return { architecture: 'amd64', os: 'linux', config: { Labels: { tag } }, rootfs: { type: 'layers', diff_ids: diffIDs } };
}

async function image(tag: string, layers: { descriptor: Descriptor; diffID: string }[]) {
  return store.commit(
    config(
      layers.map((l) => l.diffID),
      tag,
    ),
    layers.map((l) => l.descriptor),
    [`docker.io/library/${tag}:latest`],
  );
}

test('deleting an image keeps the layers another image shares and removes its own', async () => {
  const base = await layer('base.txt');
  const own = await layer('own.txt');
  const other = await layer('other.txt');
  const a = await image('a', [base, own]);
  const b = await image('b', [base, other]);
  await store.delete(a.id);
  assert.equal(await store.layers.has(base.diffID), true);
  assert.equal(await store.blobs.has(base.descriptor.digest), true);
  assert.equal(await store.layers.has(own.diffID), false);
  assert.equal(await store.blobs.has(own.descriptor.digest), false);
  assert.equal(await store.ensureLayers(b), true);
});

test('a pinned layer (a running build uses it) survives the removal of the last image that has it', async () => {
  const base = await layer('base.txt');
  const a = await image('a', [base]);
  const held = new Set<string>();
  const release = store.pin(held);
  held.add(base.diffID).add(base.descriptor.digest); // added after pinning: the set is live
  await store.delete(a.id);
  assert.equal(await store.layers.has(base.diffID), true);
  assert.equal(await store.blobs.has(base.descriptor.digest), true);
  release();
  const again = await image('a', [base]);
  await store.delete(again.id);
  assert.equal(await store.layers.has(base.diffID), false);
});

test('ensureLayers unpacks a lost layer directory from its blob, and fails when the blob is gone too', async () => {
  const base = await layer('base.txt');
  const a = await image('a', [base]);
  fs.rmSync(store.layers.dir(base.diffID), { recursive: true });
  assert.equal(await store.ensureLayers(a), true);
  assert.equal(fs.readFileSync(path.join(store.layers.dir(base.diffID), 'base.txt'), 'utf8'), 'base.txt\n');
  fs.rmSync(store.layers.dir(base.diffID), { recursive: true });
  await store.blobs.remove(base.descriptor.digest);
  assert.equal(await store.ensureLayers(a), false);
});

test('the build cache serves a config only for the same layers, and a layer only while its blob exists', async () => {
  const cache = new BuildCache(path.join(dir, 'cache'), store);
  const old = await layer('old.txt');
  const rebuilt = await layer('rebuilt.txt');
  const bytes = Buffer.from(JSON.stringify(config([old.diffID], 'x')));
  await cache.putConfig('k', bytes);
  assert.deepEqual(await cache.getConfig('k', [old.diffID]), bytes);
  assert.equal(await cache.getConfig('k', [rebuilt.diffID]), undefined);
  assert.equal(await cache.getConfig('k', []), undefined);

  await cache.putLayer('step', { ...old, created: new Date(0).toISOString() });
  fs.rmSync(store.layers.dir(old.diffID), { recursive: true });
  assert.equal((await cache.getLayer('step'))?.diffID, old.diffID);
  assert.equal(await store.layers.has(old.diffID), true, 'unpacked again from the blob');
  fs.rmSync(store.layers.dir(old.diffID), { recursive: true });
  await store.blobs.remove(old.descriptor.digest);
  assert.equal(await cache.getLayer('step'), undefined);
});
