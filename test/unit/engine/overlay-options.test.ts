// The overlayfs mount options of a container's root filesystem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overlayOptions } from '../../../src/engine/runtime/overlay.js';

const dirs = { upperDir: '/u', workDir: '/w', mergedDir: '/m', emptyLower: '/empty' };

test('lower layers go top first, an empty lower stands in for no layers', () => {
  assert.equal(overlayOptions({ ...dirs, lowerDirs: ['/a', '/b'] }), 'lowerdir=/b:/a,upperdir=/u,workdir=/w');
  assert.equal(overlayOptions({ ...dirs, lowerDirs: [] }), 'lowerdir=/empty,upperdir=/u,workdir=/w');
});

test('a layer an image has twice is named once, at its topmost place (overlayfs refuses a lowerdir twice)', () => {
  assert.equal(
    overlayOptions({ ...dirs, lowerDirs: ['/base', '/same', '/mid', '/same'] }),
    'lowerdir=/same:/mid:/base,upperdir=/u,workdir=/w',
  );
});
