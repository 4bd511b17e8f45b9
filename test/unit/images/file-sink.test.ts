// FileSink: contents written at their offsets through the thread pool, metadata after them, the descriptor
// always closed, and a failed write reported instead of lost.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { FileSink } from '../../../src/engine/images/file-sink.js';

async function* pieces(...bufs: Buffer[]): AsyncGenerator<Buffer> {
  for (const b of bufs) yield b;
}

/** Whether `fd` is still open in this process. */
const isOpen = (fd: number) => {
  try {
    fs.fstatSync(fd);
    return true;
  } catch {
    return false;
  }
};

describe('FileSink', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-file-sink-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('chunks land at their offsets, then mode and mtime; the descriptor is closed', async () => {
    const sink = new FileSink(1 << 10, 2); // tiny limits: the writer waits for the pool on every chunk
    const mtime = new Date('2019-09-09T09:09:09Z');
    const parts = Array.from({ length: 50 }, (_, i) => Buffer.alloc(700 + i, i));
    const fds: number[] = [];
    for (let f = 0; f < 5; f++) {
      await sink.room();
      const fd = fs.openSync(path.join(dir, `f${f}`), 'wx', 0o600);
      fds.push(fd);
      await sink.file(fd, pieces(...parts), { mode: 0o751, mtime }, false);
    }
    await sink.drain();
    for (let f = 0; f < 5; f++) {
      const file = path.join(dir, `f${f}`);
      assert.ok(fs.readFileSync(file).equals(Buffer.concat(parts)));
      const st = fs.statSync(file);
      assert.equal(st.mode & 0o7777, 0o751);
      assert.equal(st.mtime.getTime(), mtime.getTime());
    }
    assert.deepEqual(fds.filter(isOpen), []);
  });

  test('a write that fails is thrown by drain (and by the next room), and its descriptor is closed', async () => {
    const sink = new FileSink();
    fs.writeFileSync(path.join(dir, 'ro'), '');
    const fd = fs.openSync(path.join(dir, 'ro'), 'r'); // writes fail with EBADF
    await sink.file(fd, pieces(Buffer.from('data')), { mode: 0o644, mtime: new Date() }, false).catch(() => {});
    await assert.rejects(sink.drain(), /EBADF/);
    await assert.rejects(sink.room(), /EBADF/);
    assert.equal(isOpen(fd), false);
  });

  test('a content stream that fails still closes the descriptor', async () => {
    const sink = new FileSink();
    const fd = fs.openSync(path.join(dir, 'f'), 'wx');
    async function* broken(): AsyncGenerator<Buffer> {
      yield Buffer.from('a');
      throw new Error('truncated archive');
    }
    await assert.rejects(sink.file(fd, broken(), { mode: 0o644, mtime: new Date() }, false), /truncated archive/);
    await sink.settle();
    assert.equal(isOpen(fd), false);
  });
});
