// The OneShotRunner: a real runc container over overlayfs, output and exit code, changes land in the upper dir.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createOneShotRunner } from '../../../src/engine/runtime/oneshot.js';
import { enginePaths } from '../../../src/engine/paths.js';
import { busyboxRootfs } from './rootfs.js';

let root: string;
let lower: string;
before(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'tsc-eng-oneshot-'));
  lower = busyboxRootfs(path.join(root, 'lower'));
});
after(() => rmSync(root, { recursive: true, force: true }));

test('runs a command, streams its output and returns the exit code', async () => {
  const runner = createOneShotRunner(enginePaths(path.join(root, 'state')));
  const upper = path.join(root, 'upper1');
  let out = '';
  let err = '';
  const { exitCode } = await runner.runOneShot({
    lowerDirs: [lower],
    upperDir: upper,
    env: ['GREETING=hi'],
    workingDir: '/work',
    user: 'app',
    args: ['/bin/sh', '-c', 'echo $GREETING $(id -u):$(id -g) $(pwd); echo oops >&2; echo made > /tmp/file; exit 3'],
    onOutput: (c, s) => {
      if (s === 'stdout') out += c.toString();
      else err += c.toString();
    },
  });
  assert.equal(exitCode, 3);
  assert.equal(out.trim(), 'hi 1000:1000 /work');
  assert.equal(err.trim(), 'oops');
  assert.equal(readFileSync(path.join(upper, 'tmp', 'file'), 'utf8'), 'made\n');
  assert.ok(!existsSync(path.join(lower, 'tmp', 'file')), 'the lower layer stays untouched');
});

test('network none has only loopback; host network sees the host interfaces', async () => {
  const runner = createOneShotRunner(enginePaths(path.join(root, 'state')));
  const ifaces = async (network: 'none' | 'host') => {
    let out = '';
    await runner.runOneShot({
      lowerDirs: [lower],
      upperDir: path.join(root, `up-${network}`),
      env: [],
      network,
      args: ['/bin/sh', '-c', 'ls /sys/class/net'],
      onOutput: (c) => {
        out += c.toString();
      },
    });
    return out.split(/\s+/).filter(Boolean);
  };
  assert.deepEqual(await ifaces('none'), ['lo']);
  assert.ok((await ifaces('host')).length > 1);
});
