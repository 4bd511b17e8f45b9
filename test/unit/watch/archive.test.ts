import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { buildSyncArchive } from '../../../src/watch/archive.js';
import { hashFile } from '../../../src/watch/change-cache.js';

async function readTar(stream: NodeJS.ReadableStream) {
  const entries: { name: string; type?: string; linkname?: string; body: string }[] = [];
  const extract = tar.extract();
  (stream as unknown as { pipe(d: unknown): void }).pipe(extract);
  for await (const entry of extract) {
    let body = '';
    for await (const chunk of entry) body += (chunk as Buffer).toString();
    entries.push({ name: entry.header.name, type: entry.header.type, linkname: entry.header.linkname || undefined, body });
  }
  return entries;
}

test('the sync archive holds directories, files, empty files and symlinks at their container paths', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-watch-arch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'd'));
  writeFileSync(path.join(dir, 'd/f.txt'), 'hello');
  writeFileSync(path.join(dir, 'empty'), '');
  symlinkSync('d/f.txt', path.join(dir, 'link'));
  const entries = ['d', 'd/f.txt', 'empty', 'link'].map((rel) => ({
    hostPath: path.join(dir, rel),
    containerPath: `/www/${rel}`,
    stat: lstatSync(path.join(dir, rel)),
  }));
  const archive = buildSyncArchive(entries);
  const [read, hashes] = await Promise.all([readTar(archive.stream), archive.written]);
  assert.deepEqual(
    read.map((e) => [e.name, e.type, e.linkname, e.body]),
    [
      ['www/d', 'directory', undefined, ''],
      ['www/d/f.txt', 'file', undefined, 'hello'],
      ['www/empty', 'file', undefined, ''],
      ['www/link', 'symlink', 'd/f.txt', ''],
    ],
  );
  assert.equal(hashes.get(path.join(dir, 'd/f.txt')), await hashFile(path.join(dir, 'd/f.txt')));
});

test('a file that grew after lstat is sent at the size lstat saw', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-watch-arch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'grow');
  writeFileSync(file, 'abc');
  const stat = lstatSync(file);
  writeFileSync(file, 'abcdef');
  const archive = buildSyncArchive([{ hostPath: file, containerPath: '/x/grow', stat }]);
  const [read] = await Promise.all([readTar(archive.stream), archive.written]);
  assert.equal(read[0]?.body, 'abc');
});
