// Removing images on the real bundled engine must never leave another image (or a build-cache hit)
// pointing at layer directories that are gone: each scenario ends in a container that runs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startEngine, type Engine } from '../../../src/engine/engine.js';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { uniqueName } from './fixtures.js';
import { dockerCli } from './server.js';

let root: string;
let engine: Engine | undefined;
const contexts: string[] = [];
const socket = () => path.join(root, 'engine.sock');
const docker = (...args: string[]) => dockerCli(socket(), args);
const prefix = uniqueName('rmi');

function context(lines: string[] = []): string {
  const dir = busyboxContext(lines);
  contexts.push(dir);
  return dir;
}

/** Layer tars record mtimes in whole seconds: a RUN step repeated in a later second makes a different layer. */
async function untilNextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1050 - (Date.now() % 1000)));
}

const layerDir = (diffID: string) => path.join(root, 'state', 'layers', diffID.replace(/^sha256:/, ''));

async function diffIDs(ref: string): Promise<string[]> {
  return JSON.parse(await ok(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', ref])) as string[];
}

async function ok(args: string[]): Promise<string> {
  const r = await docker(...args);
  assert.equal(r.status, 0, `docker ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-img-rmi-'));
  engine = await startEngine({ root: path.join(root, 'state'), socketPath: socket() });
});
after(async () => {
  await engine?.close();
  for (const dir of contexts) fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(root, { recursive: true, force: true });
});

test('build, rmi, rebuild the same context under another tag: the rebuilt image runs', async () => {
  const ctx = context();
  await ok(['build', '-t', `${prefix}-a:1`, ctx]);
  await ok(['rmi', `${prefix}-a:1`]);
  await untilNextSecond();
  await ok(['build', '-t', `${prefix}-b:1`, ctx]);
  for (const d of await diffIDs(`${prefix}-b:1`)) assert.ok(fs.existsSync(layerDir(d)), `layer ${d} of the rebuilt image is unpacked`);
  const ran = await docker('run', '--rm', `${prefix}-b:1`, 'true');
  assert.equal(ran.status, 0, ran.stdout + ran.stderr);
  await ok(['rmi', `${prefix}-b:1`]);
});

test('removing one of two images that share layers keeps the other runnable', async () => {
  const ctx1 = context(['CMD ["echo", "one"]']);
  const ctx2 = context(['RUN echo two > /two.txt', 'CMD ["cat", "/two.txt"]']);
  await ok(['build', '-t', `${prefix}-one:1`, ctx1]);
  await ok(['build', '-t', `${prefix}-two:1`, ctx2]);
  const shared = await diffIDs(`${prefix}-one:1`); // both of its layers came from the cache in the second build
  await ok(['rmi', `${prefix}-one:1`]);
  for (const d of shared) assert.ok(fs.existsSync(layerDir(d)), `shared layer ${d} is kept`);
  const two = await docker('run', '--rm', `${prefix}-two:1`);
  assert.equal(two.status, 0, two.stdout + two.stderr);
  assert.equal(two.stdout, 'two\n');
  // and the other way round: the removed image comes back from the cache and runs too
  await ok(['build', '-t', `${prefix}-one:1`, ctx1]);
  await ok(['rmi', `${prefix}-two:1`]);
  const one = await docker('run', '--rm', `${prefix}-one:1`);
  assert.equal(one.status, 0, one.stdout + one.stderr);
  assert.equal(one.stdout, 'one\n');
  await ok(['rmi', `${prefix}-one:1`]);
});

test('a layer directory lost from disk is unpacked again from its blob before a container starts', async () => {
  const ctx = context(['CMD ["echo", "restored"]']);
  const tag = `${prefix}-lost:1`;
  await ok(['build', '-t', tag, ctx]);
  const layers = await diffIDs(tag);
  for (const d of layers) fs.rmSync(layerDir(d), { recursive: true, force: true });
  const ran = await docker('run', '--rm', tag);
  assert.equal(ran.status, 0, ran.stdout + ran.stderr);
  assert.equal(ran.stdout, 'restored\n');
  for (const d of layers) assert.ok(fs.existsSync(layerDir(d)));
  // with the blob gone too the image cannot be restored: "no such image", not an overlay mount error
  const blobs = path.join(root, 'state', 'images', 'blobs', 'sha256');
  for (const d of layers) {
    fs.rmSync(layerDir(d), { recursive: true, force: true });
    fs.rmSync(path.join(blobs, d.replace(/^sha256:/, '')), { force: true });
  }
  const broken = await docker('run', '--rm', '--pull', 'never', tag);
  assert.notEqual(broken.status, 0);
  assert.match(broken.stderr, /No such image/i);
  assert.doesNotMatch(broken.stderr, /special device/);
  await docker('rmi', '-f', tag);
});
