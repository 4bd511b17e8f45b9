// What an uncompressed layer became when it was pushed gzip-compressed: its blob's digest and size in the
// registry. Kept so that the next push of the same layer asks the registry for that blob (HEAD) instead of
// compressing the layer again to learn its digest, as Docker keeps its v2 metadata. One JSON file in the
// image layout's parent directory, written through a temp file and a rename; entries that are not digests
// are dropped when it is read.
import fs from 'node:fs/promises';
import path from 'node:path';
import { isDigest } from '../blobs.js';
import type { Descriptor } from '../oci.js';
import { Mutex } from '../../mutex.js';

type Compressed = Pick<Descriptor, 'digest' | 'size'>;

export class CompressedLayers {
  private entries?: Map<string, Compressed>;
  private readonly writes = new Mutex();

  constructor(private readonly file: string) {}

  async get(uncompressed: string): Promise<Compressed | undefined> {
    return (await this.load()).get(uncompressed);
  }

  async set(uncompressed: string, compressed: Compressed): Promise<void> {
    (await this.load()).set(uncompressed, compressed);
    await this.writes.run(async () => {
      const tmp = `${this.file}.${process.pid}.tmp`;
      await fs.writeFile(tmp, JSON.stringify(Object.fromEntries(this.entries!)), { mode: 0o600 });
      await fs.rename(tmp, this.file);
    });
  }

  private async load(): Promise<Map<string, Compressed>> {
    if (this.entries) return this.entries;
    const entries = new Map<string, Compressed>();
    try {
      const raw = JSON.parse(await fs.readFile(this.file, 'utf8')) as Record<string, Partial<Compressed>>;
      for (const [key, v] of Object.entries(raw))
        if (isDigest(key) && isDigest(v?.digest) && Number.isSafeInteger(v.size) && v.size! >= 0)
          entries.set(key, { digest: v.digest, size: v.size! });
    } catch {
      /* none yet, or unreadable: layers are compressed again */
    }
    return (this.entries ??= entries);
  }

  static beside(layoutRoot: string): CompressedLayers {
    return new CompressedLayers(path.join(path.dirname(layoutRoot), 'compressed-layers.json'));
  }
}
