// Content-addressed blobs (OCI image layout `blobs/sha256/<hex>`): written once through a temp file,
// digest-verified before they become visible.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

export const sha256 = (data: Buffer | string): string => 'sha256:' + createHash('sha256').update(data).digest('hex');
export const digestHex = (digest: string): string => digest.replace(/^sha256:/, '');
export const isDigest = (value: unknown): value is string => typeof value === 'string' && /^sha256:[a-f0-9]{64}$/.test(value);

export class DigestMismatchError extends Error {
  constructor(
    public readonly expected: string,
    public readonly actual: string,
  ) {
    super(`digest mismatch: expected ${expected}, got ${actual}`);
  }
}

/** A pass-through stream that hashes and counts what flows through it. */
export class HashingStream extends Transform {
  private hash = createHash('sha256');
  size = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    this.push(chunk);
    cb();
  }
  private result?: string;
  /** The digest of everything that flowed through (call it after the end; repeatable). */
  digest(): string {
    return (this.result ??= 'sha256:' + this.hash.digest('hex'));
  }
}

/** Streams whose bytes are hashed upstream already (ingestWhile's copy): an uncompressed layer's diffID is that
 *  same digest, so the unpacker need not hash the bytes a second time. */
const hashedUpstream = new WeakMap<Readable, HashingStream>();
export function upstreamHasher(stream: Readable): HashingStream | undefined {
  return hashedUpstream.get(stream);
}

export interface BlobInfo {
  digest: string;
  size: number;
}

export class BlobStore {
  readonly dir: string;
  constructor(
    layoutRoot: string,
    private readonly tmpDir: string,
  ) {
    this.dir = path.join(layoutRoot, 'blobs', 'sha256');
  }

  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    await fs.mkdir(this.tmpDir, { recursive: true });
  }

  path(digest: string): string {
    if (!isDigest(digest)) throw new DigestMismatchError('a sha256 digest', String(digest));
    return path.join(this.dir, digestHex(digest));
  }

  async has(digest: string): Promise<boolean> {
    try {
      await fs.access(this.path(digest));
      return true;
    } catch {
      return false;
    }
  }

  async size(digest: string): Promise<number> {
    return (await fs.stat(this.path(digest))).size;
  }

  async put(data: Buffer | string): Promise<BlobInfo> {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
    const digest = sha256(buf);
    if (!(await this.has(digest))) {
      const tmp = this.tempPath();
      await fs.writeFile(tmp, buf);
      await fs.rename(tmp, this.path(digest));
    }
    return { digest, size: buf.length };
  }

  /** Streams into the store; with `expected`, a different digest throws and stores nothing. */
  async ingest(source: Readable, expected?: string): Promise<BlobInfo> {
    const tmp = this.tempPath();
    const hasher = new HashingStream();
    try {
      await pipeline(source, hasher, createWriteStream(tmp));
      const digest = hasher.digest();
      if (expected && expected !== digest) throw new DigestMismatchError(expected, digest);
      await fs.rename(tmp, this.path(digest));
      return { digest, size: hasher.size };
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  /** Stores the blob read from `source` while `consume` reads the same bytes (one pass: a layer is unpacked
   *  as it is stored). Nothing is stored when `consume` or the write fails. */
  async ingestWhile<T>(source: Readable, consume: (copy: Readable) => Promise<T>): Promise<{ blob: BlobInfo; result: T }> {
    const tmp = this.tempPath();
    const hasher = new HashingStream({ highWaterMark: 1 << 20 });
    const out = createWriteStream(tmp, { highWaterMark: 1 << 20 });
    const tee = new Transform({
      highWaterMark: 1 << 20,
      transform(chunk: Buffer, _enc, cb) {
        if (out.write(chunk)) cb(null, chunk);
        else out.once('drain', () => cb(null, chunk));
      },
      flush(cb) {
        out.end((err?: Error | null) => cb(err ?? null));
      },
    });
    out.on('error', (err) => tee.destroy(err));
    hashedUpstream.set(tee, hasher);
    const feeding = pipeline(source, hasher, tee);
    feeding.catch(() => {});
    try {
      const result = await consume(tee);
      tee.resume(); // whatever `consume` left unread (it found the layer unpacked already) still goes to the blob
      await feeding;
      const digest = hasher.digest();
      if (await this.has(digest)) await fs.rm(tmp, { force: true });
      else await fs.rename(tmp, this.path(digest));
      return { blob: { digest, size: hasher.size }, result };
    } catch (err) {
      source.destroy();
      tee.destroy();
      out.destroy();
      await feeding.catch(() => {});
      throw err;
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  /** ingestWhile for a file this engine wrote itself (a layer of a loaded archive, in its temp dir): read
   *  once, and stored by a hard link to it (a copy across filesystems) instead of a second write. */
  async ingestFileWhile<T>(file: string, consume: (copy: Readable) => Promise<T>): Promise<{ blob: BlobInfo; result: T }> {
    const src = createReadStream(file, { highWaterMark: 1 << 20 });
    const hasher = new HashingStream({ highWaterMark: 1 << 20 });
    hashedUpstream.set(hasher, hasher);
    const feeding = pipeline(src, hasher);
    feeding.catch(() => {});
    let result: T;
    try {
      result = await consume(hasher);
      hasher.resume();
      await feeding;
    } catch (err) {
      src.destroy();
      hasher.destroy();
      await feeding.catch(() => {});
      throw err;
    }
    const digest = hasher.digest();
    if (!(await this.has(digest))) {
      const tmp = this.tempPath();
      try {
        try {
          await fs.link(file, tmp);
        } catch {
          await fs.copyFile(file, tmp);
        }
        await fs.rename(tmp, this.path(digest));
      } finally {
        await fs.rm(tmp, { force: true });
      }
    }
    return { blob: { digest, size: hasher.size }, result };
  }

  /** Moves an already-verified file (e.g. a finished download) into the store. */
  async adopt(file: string, digest: string): Promise<void> {
    await fs.rename(file, this.path(digest));
  }

  read(digest: string): Promise<Buffer> {
    return fs.readFile(this.path(digest));
  }
  async readJson<T>(digest: string): Promise<T> {
    return JSON.parse((await this.read(digest)).toString('utf8')) as T;
  }
  stream(digest: string): Readable {
    return createReadStream(this.path(digest), { highWaterMark: 1 << 20 });
  }
  async remove(digest: string): Promise<void> {
    await fs.rm(this.path(digest), { force: true });
  }

  tempPath(): string {
    return path.join(this.tmpDir, `blob-${randomBytes(8).toString('hex')}`);
  }
}
