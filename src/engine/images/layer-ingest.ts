// Adding one layer blob to the store: stored as-is (compressed or not), unpacked once, diffID verified.
import fs from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Descriptor } from './oci.js';
import { MediaType } from './oci.js';
import { sniffCompression } from './decompress.js';
import type { ImageStore } from './store.js';

export async function layerMediaType(store: ImageStore, digest: string): Promise<string> {
  const head = Buffer.alloc(4);
  const fh = await fs.open(store.blobs.path(digest), 'r');
  try { await fh.read(head, 0, 4, 0); } finally { await fh.close(); }
  const kind = sniffCompression(head);
  return kind === 'gzip' ? MediaType.ociLayerGzip : kind === 'zstd' ? MediaType.ociLayerZstd : MediaType.ociLayer;
}

/** Stores the blob read from `source` and unpacks it; `diffID` known up front is verified. */
export async function ingestLayer(store: ImageStore, source: Readable, diffID?: string): Promise<{ descriptor: Descriptor; diffID: string }> {
  const blob = await store.blobs.ingest(source);
  const known = store.all().some((i) => i.manifest.layers.some((l) => l.digest === blob.digest));
  try {
    const mediaType = await layerMediaType(store, blob.digest);
    const descriptor = { mediaType, digest: blob.digest, size: blob.size };
    if (diffID) {
      await store.layers.unpack(diffID, () => store.blobs.stream(blob.digest));
      return { descriptor, diffID };
    }
    return { descriptor, diffID: await store.layers.unpackUnknown(store.blobs.stream(blob.digest)) };
  } catch (err) {
    if (!known) await store.blobs.remove(blob.digest); // a layer that cannot be unpacked is not kept
    throw err;
  }
}
