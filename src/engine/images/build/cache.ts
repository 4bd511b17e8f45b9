// The build cache: (parent chain + instruction [+ content hash]) → the layer that step produced.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isDigest } from '../blobs.js';
import type { Descriptor, ImageConfig } from '../oci.js';
import type { ImageStore } from '../store.js';

export interface CachedLayer {
  descriptor: Descriptor;
  diffID: string;
  created: string;
}

export const chainKey = (...parts: string[]): string => createHash('sha256').update(parts.join('\0')).digest('hex');

export class BuildCache {
  constructor(
    private readonly dir: string,
    private readonly store: ImageStore,
  ) {}

  private file(key: string): string {
    return path.join(this.dir, `${key}.json`);
  }

  /**
   * A cached layer whose blob still exists, its directory unpacked again if an image removal took it;
   * anything missing or damaged is a miss, so the step runs again.
   */
  async getLayer(key: string): Promise<CachedLayer | undefined> {
    let entry: CachedLayer;
    try {
      entry = JSON.parse(await fs.readFile(this.file(key), 'utf8')) as CachedLayer;
    } catch {
      return undefined;
    }
    const blob = entry?.descriptor?.digest;
    if (!isDigest(blob) || !isDigest(entry.diffID) || !(await this.store.blobs.has(blob))) return undefined;
    try {
      await this.store.layers.unpack(entry.diffID, () => this.store.blobs.stream(blob));
    } catch {
      return undefined;
    }
    return entry;
  }

  async putLayer(key: string, entry: CachedLayer): Promise<void> {
    await this.write(key, entry);
  }

  /**
   * The exact config bytes of a previous identical build, so a cached rebuild yields the same image id —
   * only when they name exactly the layers this build has (a step that ran again may have made new ones).
   */
  async getConfig(key: string, diffIDs: string[]): Promise<Buffer | undefined> {
    let bytes: Buffer;
    try {
      bytes = Buffer.from((JSON.parse(await fs.readFile(this.file(`config-${key}`), 'utf8')) as { config: string }).config, 'base64');
    } catch {
      return undefined;
    }
    let cached: unknown;
    try {
      cached = (JSON.parse(bytes.toString('utf8')) as ImageConfig).rootfs?.diff_ids;
    } catch {
      return undefined;
    }
    if (!Array.isArray(cached) || cached.length !== diffIDs.length || cached.some((d, i) => d !== diffIDs[i])) return undefined;
    return bytes;
  }

  /** Whether a step with this chain key was built before (ARG and metadata steps, which make no layer). */
  async hasStep(key: string): Promise<boolean> {
    return fs.access(this.file(`step-${key}`)).then(
      () => true,
      () => false,
    );
  }

  async markStep(key: string): Promise<void> {
    await this.write(`step-${key}`, {});
  }

  async putConfig(key: string, config: Buffer): Promise<void> {
    await this.write(`config-${key}`, { config: config.toString('base64') });
  }

  async prune(): Promise<number> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    // mounts/ holds the RUN --mount=type=cache directories: pruning empties them too, as docker builder prune does
    await Promise.all(names.map((n) => fs.rm(path.join(this.dir, n), { force: true, recursive: true })));
    return names.length;
  }

  private async write(key: string, value: unknown): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    // builds running side by side may write the same entry: each its own temporary file
    const tmp = `${this.file(key)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(value));
    await fs.rename(tmp, this.file(key));
  }
}
