// `POST /images/load`: a `docker save` archive (manifest.json) or an OCI image layout archive (index.json).
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { invalid } from '../errors.js';
import { type ArchiveFiles, readArchive } from './archive.js';
import { digestHex } from './blobs.js';
import { ingestLayerFile } from './layer-ingest.js';
import {
  CONTAINERD_NAME_ANNOTATION,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type Manifest,
  isIndexMediaType,
  pickPlatform,
  REF_NAME_ANNOTATION,
} from './oci.js';
import { canonicalName, parseReference } from './reference.js';
import type { ImageStore, StoredImage } from './store.js';

interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

export interface LoadedImage {
  image: StoredImage;
  names: string[];
}

export async function loadArchive(store: ImageStore, source: Readable, tmpDir: string): Promise<LoadedImage[]> {
  const files = await readArchive(source, tmpDir);
  try {
    if (files.has('manifest.json')) return await loadDockerSave(store, files);
    if (files.has('index.json')) return await loadOciLayout(store, files);
    throw invalid('not an image archive: neither manifest.json (docker save) nor index.json (OCI layout) found');
  } finally {
    await files.dispose();
  }
}

async function loadDockerSave(store: ImageStore, files: ArchiveFiles): Promise<LoadedImage[]> {
  const entries = await files.json<DockerSaveEntry[]>('manifest.json');
  if (!Array.isArray(entries)) throw invalid('manifest.json is not a list of images');
  const loaded: LoadedImage[] = [];
  for (const entry of entries) {
    const configBytes = await files.read(entry.Config);
    const config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
    const diffIDs = config.rootfs?.diff_ids ?? [];
    if (diffIDs.length !== entry.Layers.length)
      throw invalid(`image ${entry.Config}: ${entry.Layers.length} layers but ${diffIDs.length} diff_ids`);
    const layers: Descriptor[] = [];
    for (const [i, layer] of entry.Layers.entries()) {
      layers.push((await ingestLayerFile(store, files.path(layer), diffIDs[i]!)).descriptor);
    }
    const names = (entry.RepoTags ?? []).map((t) => canonicalName(parseReference(t)));
    loaded.push({ image: await store.commit(configBytes, layers, names), names });
  }
  return loaded;
}

async function loadOciLayout(store: ImageStore, files: ArchiveFiles): Promise<LoadedImage[]> {
  const index = await files.json<ImageIndex>('index.json');
  const blobFile = (digest: string) => `blobs/sha256/${digestHex(digest)}`;
  const copyBlob = async (d: Descriptor) => {
    if (!/^sha256:[a-f0-9]{64}$/.test(d.digest ?? '')) throw invalid(`invalid digest in OCI layout: ${String(d.digest)}`);
    if (!(await store.blobs.has(d.digest))) await store.blobs.ingest(createReadStream(files.path(blobFile(d.digest))), d.digest);
  };
  const loaded: LoadedImage[] = [];
  for (const top of index.manifests ?? []) {
    let desc = top;
    for (let depth = 0; isIndexMediaType(desc.mediaType) && depth < 4; depth++) {
      const nested = await files.json<ImageIndex>(blobFile(desc.digest));
      const picked = pickPlatform(nested);
      if (!picked) throw invalid('the OCI index has no manifest for this platform');
      desc = picked;
    }
    await copyBlob(desc);
    const manifest = await store.blobs.readJson<Manifest>(desc.digest);
    await copyBlob(manifest.config);
    const config = await store.blobs.readJson<ImageConfig>(manifest.config.digest);
    for (const [i, layer] of manifest.layers.entries()) {
      await copyBlob(layer);
      await store.layers.unpack(config.rootfs.diff_ids[i]!, () => store.blobs.stream(layer.digest));
    }
    const names = ociNames(top);
    loaded.push({ image: await store.record(desc.digest, manifest, config, names), names });
  }
  return loaded;
}

/** containerd's full name annotation, else ref.name when it is a full reference rather than a bare tag. */
function ociNames(d: Descriptor): string[] {
  const full = d.annotations?.[CONTAINERD_NAME_ANNOTATION] ?? d.annotations?.[REF_NAME_ANNOTATION];
  if (!full || !/[:/]/.test(full)) return [];
  try {
    return [canonicalName(parseReference(full))];
  } catch {
    return [];
  }
}
