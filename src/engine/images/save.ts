// `GET /images/{name}/get`: a `docker save` archive (manifest.json, <config>.json, <diffID>/layer.tar).
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { streamToClient } from '../stream-to-client.js';
import { digestHex } from './blobs.js';
import { decompress } from './decompress.js';
import { canonicalName, familiarName, parseReference } from './reference.js';
import type { ImageStore, StoredImage } from './store.js';

/** An image to save and the canonical names its manifest entry carries (none when it was asked for by ID). */
export interface SaveRequest {
  image: StoredImage;
  names: string[];
}

export async function saveImages(store: ImageStore, images: SaveRequest[], out: Writable): Promise<void> {
  const pack = tar.pack();
  await streamToClient(pack, out, () => packImages(store, images, pack));
}

/** The names saving `ref` writes, as Docker's: by ID none, `repo:tag` that tag, a bare repository its tags. */
export function savedNames(ref: string, image: StoredImage): string[] {
  let canonical: string | undefined;
  try {
    canonical = canonicalName(parseReference(ref));
  } catch {
    canonical = undefined;
  }
  if (canonical && image.names.includes(canonical) && /:[^/]+$/.test(ref)) return [canonical];
  const hex = ref.startsWith('sha256:') ? ref : `sha256:${ref}`;
  if (/^sha256:[0-9a-f]+$/.test(hex) && image.id.startsWith(hex)) return [];
  if (!canonical) return [];
  const repo = canonical.slice(0, canonical.lastIndexOf(':'));
  return image.names.filter((n) => n.slice(0, n.lastIndexOf(':')) === repo);
}

async function packImages(store: ImageStore, requests: SaveRequest[], pack: tar.Pack): Promise<void> {
  const manifest = [];
  const written = new Set<string>();
  // one manifest entry per image, with the names every request of it asked for
  const byImage = new Map<string, SaveRequest>();
  for (const r of requests) {
    const seen = byImage.get(r.image.id);
    if (seen) seen.names = [...new Set([...seen.names, ...r.names])];
    else byImage.set(r.image.id, { image: r.image, names: [...r.names] });
  }
  for (const { image, names } of byImage.values()) {
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
    manifest.push({ Config: configName, RepoTags: names.length ? names.map(familiarName) : null, Layers: layers });
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
