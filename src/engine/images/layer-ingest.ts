// Adding one layer blob to the store: stored as-is (compressed or not), unpacked once, diffID verified.
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Descriptor } from './oci.js';
import { MediaType } from './oci.js';
import { sniffCompression } from './decompress.js';
import type { ImageStore } from './store.js';

export async function layerMediaType(store: ImageStore, digest: string): Promise<string> {
  const head = Buffer.alloc(4);
  const fh = await fs.open(store.blobs.path(digest), 'r');
  try {
    await fh.read(head, 0, 4, 0);
  } finally {
    await fh.close();
  }
  const kind = sniffCompression(head);
  return kind === 'gzip' ? MediaType.ociLayerGzip : kind === 'zstd' ? MediaType.ociLayerZstd : MediaType.ociLayer;
}

/** Stores the blob read from `source` and unpacks it in the same pass; `diffID` known up front is verified. */
export async function ingestLayer(
  store: ImageStore,
  source: Readable,
  diffID?: string,
): Promise<{ descriptor: Descriptor; diffID: string }> {
  if (diffID && (await store.layers.has(diffID))) {
    const blob = await store.blobs.ingest(source);
    return { descriptor: { mediaType: await layerMediaType(store, blob.digest), digest: blob.digest, size: blob.size }, diffID };
  }
  const { blob, result } = await store.blobs.ingestWhile(source, async (copy) =>
    diffID ? (await store.layers.unpack(diffID, () => copy), diffID) : store.layers.unpackUnknown(copy),
  );
  const descriptor = { mediaType: await layerMediaType(store, blob.digest), digest: blob.digest, size: blob.size };
  return { descriptor, diffID: result };
}

/** ingestLayer for a layer file the engine wrote itself (a loaded archive's temp dir): read once, stored by a link. */
export async function ingestLayerFile(
  store: ImageStore,
  file: string,
  diffID: string,
): Promise<{ descriptor: Descriptor; diffID: string }> {
  if (await store.layers.has(diffID)) return ingestLayer(store, createReadStream(file, { highWaterMark: 1 << 20 }), diffID);
  const { blob } = await store.blobs.ingestFileWhile(file, (copy) => store.layers.unpack(diffID, () => copy));
  return { descriptor: { mediaType: await layerMediaType(store, blob.digest), digest: blob.digest, size: blob.size }, diffID };
}
