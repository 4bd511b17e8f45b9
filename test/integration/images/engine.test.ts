// The image service inside the real bundled engine (temp root and socket): build with the docker CLI,
// then run a container from the built image's layers.
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
let ctx: string;
const socket = () => path.join(root, 'engine.sock');
const tag = uniqueName('eng');

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-img-engine-'));
  engine = await startEngine({ root: path.join(root, 'state'), socketPath: path.join(root, 'engine.sock') });
  ctx = busyboxContext(['CMD ["echo", "hello from the built image"]']);
});
after(async () => {
  if (engine) {
    await dockerCli(socket(), ['rm', '-f', `${tag}-c`]);
    await engine.close();
  }
  fs.rmSync(ctx, { recursive: true, force: true });
  fs.rmSync(root, { recursive: true, force: true });
});

test('docker build then docker run on the bundled engine', async () => {
  const built = await dockerCli(socket(), ['build', '-q', '-t', tag, ctx]);
  assert.equal(built.status, 0, built.stderr);
  const images = await dockerCli(socket(), ['images', '--format', '{{.Repository}}:{{.Tag}}']);
  assert.match(images.stdout, new RegExp(`^${tag}:latest$`, 'm'));
  const ran = await dockerCli(socket(), ['run', '--name', `${tag}-c`, tag]);
  assert.equal(ran.status, 0, ran.stderr);
  assert.equal(ran.stdout, 'hello from the built image\n');
  const refused = await dockerCli(socket(), ['rmi', tag]);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /being used by container/);
  assert.equal((await dockerCli(socket(), ['rm', `${tag}-c`])).status, 0);
  const removed = await dockerCli(socket(), ['rmi', tag]);
  assert.equal(removed.status, 0, removed.stderr);
  assert.match(removed.stdout, /Deleted: sha256:/);
});
