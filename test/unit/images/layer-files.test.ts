// Reading a layer stack without mounting it: symlinks in it resolve inside the stack, never on the host.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { lookupInLayers, readFromLayers, resolveInLayers } from '../../../src/engine/images/layer-files.js';

const top = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-layerfiles-'));
after(() => fs.rmSync(top, { recursive: true, force: true }));

test('symlinks of a layer stack resolve inside it', () => {
  const lower = path.join(top, 'lower');
  const upper = path.join(top, 'upper');
  fs.mkdirSync(path.join(lower, 'real'), { recursive: true });
  fs.mkdirSync(upper);
  fs.writeFileSync(path.join(lower, 'real', 'passwd'), 'root:x:0:0:in-image:/:/bin/sh\n');
  fs.symlinkSync('/etc', path.join(lower, 'etc')); // the host's /etc if followed by the kernel
  fs.symlinkSync('/real', path.join(upper, 'etc2'));
  fs.symlinkSync('../../../../real', path.join(upper, 'rel'));
  const layers = [lower, upper];
  assert.equal(lookupInLayers(layers, 'etc/passwd'), undefined, 'no lstat through a symlinked parent');
  assert.equal(readFromLayers(layers, 'etc/passwd'), undefined, 'the image has no /etc/passwd');
  assert.match(readFromLayers(layers, 'etc2/passwd')!, /in-image/);
  assert.match(readFromLayers(layers, 'rel/passwd')!, /in-image/);
  assert.equal(resolveInLayers(layers, 'rel/new/x'), 'real/new/x');
  assert.equal(resolveInLayers(layers, 'etc2', false), 'etc2');
});
