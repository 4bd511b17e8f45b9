// Unpacked layers: one directory per diffID under paths.layers, unpacked once and shared by every
// image (and every container, as an overlayfs lower dir) that has the layer.
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestMismatchError, digestHex, HashingStream, isDigest, upstreamHasher } from './blobs.js';
import { decompressor, peek, sniffCompression } from './decompress.js';
import { extractLayer, UnsafeLayerError } from './extract.js';

export class LayerStore {
  private inflight = new Map<string, Promise<string>>();

  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    // leftovers of an interrupted unpack or build step (staging and overlay work dirs start with a dot)
    for (const name of await fs.readdir(this.root)) {
      if (name.startsWith('.')) await fs.rm(path.join(this.root, name), { recursive: true, force: true }).catch(() => {});
    }
  }

  dir(diffID: string): string {
    // diffIDs come from untrusted image configs: anything but a sha256 digest could name a path outside
    if (!isDigest(diffID)) throw new UnsafeLayerError(`invalid layer diffID "${diffID}"`);
    return path.join(this.root, digestHex(diffID));
  }

  // synchronous: one stat per layer on every container create, faster than a thread-pool trip
  async has(diffID: string): Promise<boolean> {
    return statSync(this.dir(diffID), { throwIfNoEntry: false })?.isDirectory() ?? false;
  }

  stagingDir(): string {
    return path.join(this.root, `.tmp-${randomBytes(8).toString('hex')}`);
  }

  /** Unpacks a (possibly compressed) layer tar, verifying its diffID; a no-op when already unpacked. */
  async unpack(expectedDiffID: string, open: () => Readable): Promise<string> {
    this.dir(expectedDiffID); // validates it
    if (await this.has(expectedDiffID)) return this.dir(expectedDiffID);
    const running = this.inflight.get(expectedDiffID);
    if (running) return running;
    const job = this.unpackNew(open(), expectedDiffID).finally(() => this.inflight.delete(expectedDiffID));
    this.inflight.set(expectedDiffID, job);
    return job;
  }

  /** Unpacks a layer whose diffID is learnt while reading it (imports). Returns the diffID. */
  async unpackUnknown(source: Readable): Promise<string> {
    const staging = this.stagingDir();
    try {
      const diffID = await this.extractHashing(source, staging);
      await this.adopt(staging, diffID);
      return diffID;
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
  }

  /** Moves a prepared directory (a build step's upper dir) into place as the layer `diffID`. */
  async adopt(dir: string, diffID: string): Promise<void> {
    if (await this.has(diffID)) {
      await fs.rm(dir, { recursive: true, force: true });
      return;
    }
    try {
      await fs.rename(dir, this.dir(diffID));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      await fs.rm(dir, { recursive: true, force: true }); // a concurrent unpack of the same layer won
    }
  }

  async remove(diffID: string): Promise<void> {
    await fs.rm(this.dir(diffID), { recursive: true, force: true });
  }

  private async unpackNew(source: Readable, expected: string): Promise<string> {
    const staging = this.stagingDir();
    try {
      const diffID = await this.extractHashing(source, staging);
      if (diffID !== expected) throw new DigestMismatchError(expected, diffID);
      await this.adopt(staging, diffID);
      return this.dir(diffID);
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
  }

  private async extractHashing(source: Readable, staging: string): Promise<string> {
    // streams all the way (no async generator per chunk): read -> decompress (1 MB chunks) -> hash -> untar
    const unzip = decompressor(sniffCompression(await peek(source, 4)));
    const upstream = upstreamHasher(source);
    if (!unzip && upstream) {
      // a plain tar whose bytes are being hashed already: its diffID is that digest
      await extractLayer(source, staging);
      return upstream.digest();
    }
    const hasher = new HashingStream({ readableHighWaterMark: 1 << 20 });
    const feeding = (unzip ? pipeline(source, unzip, hasher) : pipeline(source, hasher)).catch((err: Error) => {
      hasher.destroy(err);
    });
    try {
      await extractLayer(hasher, staging);
    } catch (err) {
      source.destroy();
      throw err;
    }
    await feeding;
    return hasher.digest();
  }
}
