// The contents and metadata of extracted files, written through their descriptors on the libuv thread pool.
// The extraction's own thread keeps parsing the tar and creating entries (every by-path call stays there, in
// archive order: the safety of resolveInRoot depends on it) while up to four pool threads write: on a shared
// two-core machine a single thread doing every write was the bottleneck of a big import.
// Only descriptor calls come here (write, fchown, fchmod, futimes, close): they act on the inode opened with
// O_EXCL|O_NOFOLLOW, whatever later entries do to its path.
import { close, fchmod, fchown, futimes, write } from 'node:fs';

export interface FileMeta {
  uid?: number;
  gid?: number;
  mode: number;
  mtime: Date;
}

type Done = (err: NodeJS.ErrnoException | null) => void;
const call = (start: (done: Done) => void): Promise<void> =>
  new Promise((resolve, reject) => start((err) => (err ? reject(err) : resolve())));

function writeAt(fd: number, buf: Buffer, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (off: number): void =>
      write(fd, buf, off, buf.length - off, position + off, (err, n) => {
        if (err) reject(err);
        else if (off + n < buf.length) step(off + n);
        else resolve();
      });
    step(0);
  });
}

export class FileSink {
  private bytes = 0;
  private files = 0;
  private failure?: Error;
  private wake?: () => void;
  private readonly pending = new Set<Promise<void>>();

  /** At most `maxBytes` of content waiting to be written and `maxFiles` descriptors open at a time. */
  constructor(
    private readonly maxBytes = 32 << 20,
    private readonly maxFiles = 64,
  ) {}

  /** Resolves when another file may be opened; throws the first failed write. */
  async room(): Promise<void> {
    while (this.files >= this.maxFiles && !this.failure) await this.changed();
    if (this.failure) throw this.failure;
  }

  /** Takes `fd` (always closed): writes `content` at its offsets, then owner, mode and times. Resolves once
   *  `content` is read and the bytes in flight are under the limit, not when the file is written. */
  async file(fd: number, content: AsyncIterable<Buffer>, meta: FileMeta, applyOwnership: boolean): Promise<void> {
    this.files++;
    const writes: Promise<void>[] = [];
    let position = 0;
    try {
      for await (const chunk of content) {
        if (this.failure) break;
        if (chunk.length === 0) continue;
        this.bytes += chunk.length;
        const written = writeAt(fd, chunk, position).finally(() => {
          this.bytes -= chunk.length;
          this.signal();
        });
        written.catch((err: Error) => {
          this.fail(err);
        }); // handled now: it may fail before finishFile awaits it
        writes.push(written);
        position += chunk.length;
        while (this.bytes > this.maxBytes && !this.failure) await this.changed();
      }
    } finally {
      this.track(this.finishFile(fd, writes, meta, applyOwnership));
    }
    if (this.failure) throw this.failure;
  }

  /** Waits for every file; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    if (this.failure) throw this.failure;
  }

  /** Waits for every file, failed or not (before an extraction that failed removes its directory). */
  async settle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private async finishFile(fd: number, writes: Promise<void>[], meta: FileMeta, applyOwnership: boolean): Promise<void> {
    try {
      await Promise.all(writes);
      if (applyOwnership) await call((d) => fchown(fd, meta.uid ?? 0, meta.gid ?? 0, d));
      await call((d) => fchmod(fd, meta.mode, d)); // after chown: it clears setuid
      await call((d) => futimes(fd, meta.mtime, meta.mtime, d)); // after the writes, which set mtime
    } finally {
      await Promise.allSettled(writes); // none still using the descriptor when it closes
      await call((d) => close(fd, d)).catch(() => {});
      this.files--;
      this.signal();
    }
  }

  private track(job: Promise<void>): void {
    const p = job.catch((err: Error) => {
      this.fail(err);
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.signal();
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
