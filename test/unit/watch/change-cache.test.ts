import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChangeCache, hashFile } from '../../../src/watch/change-cache.js';
import { parseDurationSeconds } from '../../../src/watch/service-watch.js';
import { describePaths, syncLine } from '../../../src/watch/report.js';

test('a file is unchanged when size and mtime match, or the content hash does', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-watch-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'f');
  writeFileSync(file, 'abc');
  const cache = new ChangeCache();
  assert.equal(await cache.isUnchanged(file, statSync(file)), false); // never synced
  cache.record(file, statSync(file), await hashFile(file));
  assert.equal(await cache.isUnchanged(file, statSync(file)), true);
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  assert.equal(await cache.isUnchanged(file, statSync(file)), true); // touched, same bytes
  writeFileSync(file, 'abd');
  assert.equal(await cache.isUnchanged(file, statSync(file)), false); // same size, other bytes
  writeFileSync(file, 'abcd');
  assert.equal(await cache.isUnchanged(file, statSync(file)), false);
});

test('forget drops paths and everything below them; clear drops all', async () => {
  const cache = new ChangeCache();
  const st = { size: 1, mtimeMs: 1 };
  for (const p of ['/a/x', '/a/b/y', '/ab/z', '/c']) cache.record(p, st);
  cache.forget(['/a']);
  const fake = { size: 1, mtimeMs: 1 } as never;
  assert.equal(await cache.isUnchanged('/a/x', fake), false);
  assert.equal(await cache.isUnchanged('/a/b/y', fake), false);
  assert.equal(await cache.isUnchanged('/ab/z', fake), true);
  cache.clear();
  assert.equal(await cache.isUnchanged('/c', fake), false);
});

test('durations become whole seconds for the restart timeout', () => {
  assert.equal(parseDurationSeconds('10s'), 10);
  assert.equal(parseDurationSeconds('1m30s'), 90);
  assert.equal(parseDurationSeconds('500ms'), 1);
  assert.equal(parseDurationSeconds('0s'), 0);
});

test('the sync report names a few files, counts the rest and gives the time', () => {
  assert.equal(describePaths(['/p/a', '/p/b', '/p/c', '/p/d', '/p/e'], '/p'), 'a, b, c, +2 more');
  assert.equal(syncLine('web', ['/p/www/i.html'], [], '/p', 12.4), 'web: synced 1 file (www/i.html) in 12 ms');
  assert.equal(syncLine('web', ['/p/a', '/p/b'], ['/p/c'], '/p', 3), 'web: synced 2 files (a, b), removed 1 path (c) in 3 ms');
  assert.equal(syncLine('web', [], [], '/p', 3, ['/p/d', '/p/d/e']), 'web: created 2 directories (d, d/e) in 3 ms');
  assert.equal(syncLine('web', [], [], '/p', 3, ['/p/d']), 'web: created 1 directory (d) in 3 ms');
});
