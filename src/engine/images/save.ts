// `GET /images/{name}/get`: a `docker save` archive (manifest.json, <config>.json, <diffID>/layer.tar).
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { streamToClient } from '../stream-to-client.js';
import { digestHex } from './blobs.js';
import { decompress } from './decompress.js';
import { familiarName } from './reference.js';
import type { ImageStore, StoredImage } from './store.js';

export async function saveImages(store: ImageStore, images: StoredImage[], out: Writable): Promise<void> {
  const pack = tar.pack();
  await streamToClient(pack, out, () => packImages(store, images, pack));
}

async function packImages(store: ImageStore, images: StoredImage[], pack: tar.Pack): Promise<void> {
  const manifest = [];
  const written = new Set<string>();
  for (const image of images) {
    const configName = `${digestHex(image.id)}.json`;
    if (!written.has(configName)) {
      pack.entry({ name: configName }, await store.blobs.read(image.id));
      written.add(configName);
    }
    const layers: string[] = [];
    for (const [i, layer] of image.manifest.layers.entries()) {
      const name = `${digestHex(image.config.rootfs.diff_ids[i]!)}/layer.tar`;
      layers.push(name);
      if (written.has(name)) continue;
      written.add(name);
      await addUncompressedLayer(store, layer.digest, name, pack);
    }
    manifest.push({ Config: configName, RepoTags: image.names.map(familiarName), Layers: layers });
  }
  pack.entry({ name: 'manifest.json' }, JSON.stringify(manifest));
  pack.finalize();
}

/** tar needs the size up front, so a compressed layer is decompressed to a temp file first. */
async function addUncompressedLayer(store: ImageStore, digest: string, name: string, pack: tar.Pack): Promise<void> {
  const tmp = store.blobs.tempPath();
  try {
    await pipeline(Readable.from(decompress(store.blobs.stream(digest))), createWriteStream(tmp));
    const { size } = await fs.stat(tmp);
    const entry = pack.entry({ name, size });
    await pipeline(createReadStream(tmp), entry);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}
