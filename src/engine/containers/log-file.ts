// A container's log file as the supervisor writes it, rotated as Docker's json-file and local drivers do:
// once the current file has reached max-size, it becomes `<file>.1` (the older copies move up one, the
// oldest past max-file is deleted), gzipped to `<file>.1.gz` when compress is set, and a new file starts.
// Like Docker, a file is checked before each write, so it can pass max-size by one write.
// Readers following the file keep their descriptor across the rename (logs.ts). Node built-ins only.
import { closeSync, existsSync, fstatSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { rotatedName, type LogPolicy } from './log-config.js';

const COMPRESS_CHUNK = 1024 * 1024;

function unlinkIfThere(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* not there */
  }
}

function renameIfThere(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    /* not there */
  }
}

/** Gzips `file` into `file.gz` a chunk at a time (concatenated gzip members, which every gunzip reads), so
 *  a large log needs no more memory than one chunk; the plain file is removed once the copy is complete. */
function compressFile(file: string): void {
  const src = openSync(file, 'r');
  const tmp = `${file}.gz.tmp`;
  const dst = openSync(tmp, 'w', 0o640);
  try {
    const buf = Buffer.alloc(COMPRESS_CHUNK);
    let n: number;
    while ((n = readSync(src, buf, 0, buf.length, null)) > 0) writeSync(dst, gzipSync(buf.subarray(0, n), { level: 1 }));
  } finally {
    closeSync(src);
    closeSync(dst);
  }
  renameSync(tmp, `${file}.gz`);
  unlinkSync(file);
}

export class RotatingLogFile {
  private fd: number;
  private size: number;

  constructor(
    private readonly file: string,
    private readonly policy: LogPolicy,
  ) {
    this.fd = openSync(file, 'a', 0o640);
    this.size = fstatSync(this.fd).size;
  }

  /** Appends entries (one line each), rotating between entries as Docker does before each message it writes:
   *  the entries that fit go out in one write. */
  writeEntries(entries: string[]): void {
    const max = this.policy.maxSize;
    let batch = '';
    let pending = 0;
    for (const entry of entries) {
      if (max !== undefined && this.size + pending >= max) {
        if (batch) this.size += writeSync(this.fd, batch);
        batch = '';
        pending = 0;
        this.rotate();
      }
      batch += entry;
      pending += Buffer.byteLength(entry);
    }
    if (batch) this.size += writeSync(this.fd, batch);
  }

  close(): void {
    closeSync(this.fd);
  }

  private rotate(): void {
    closeSync(this.fd);
    const { maxFile, compress } = this.policy;
    if (maxFile <= 1) {
      // nothing is kept: the file starts again (a new file, so that a reader holding the old one reads it to its end)
      unlinkIfThere(this.file);
    } else {
      for (const gz of [false, true]) unlinkIfThere(rotatedName(this.file, maxFile - 1, gz));
      for (let n = maxFile - 2; n >= 1; n--)
        for (const gz of [false, true]) renameIfThere(rotatedName(this.file, n, gz), rotatedName(this.file, n + 1, gz));
      renameSync(this.file, rotatedName(this.file, 1, false));
      if (compress) {
        try {
          compressFile(rotatedName(this.file, 1, false));
        } catch (err) {
          process.stderr.write(`tscompose supervisor: compressing ${this.file}.1: ${(err as Error).message}\n`);
        }
      }
    }
    this.fd = openSync(this.file, 'a', 0o640);
    this.size = 0;
  }
}

/** The files of a log, oldest first: the rotated copies (plain or gzipped) then the current file. */
export function logFilesOldestFirst(file: string, maxScan = 10_000): { path: string; gzip: boolean }[] {
  const out: { path: string; gzip: boolean }[] = [];
  for (let n = 1; n <= maxScan; n++) {
    const plain = rotatedName(file, n, false);
    const gz = rotatedName(file, n, true);
    // while a copy is being compressed both exist, and the plain one is complete
    if (existsSync(plain)) out.push({ path: plain, gzip: false });
    else if (existsSync(gz)) out.push({ path: gz, gzip: true });
    else break;
  }
  out.reverse();
  out.push({ path: file, gzip: false });
  return out;
}
