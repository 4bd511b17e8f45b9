// Pulling an image: manifest (an index picks the host platform), config and layers downloaded in
// parallel and verified, then unpacked. Any failure removes what this pull added: a bad pull stores nothing.
import fs from 'node:fs/promises';
import { DigestMismatchError, digestHex } from '../blobs.js';
import { type Descriptor, type ImageConfig, type ImageIndex, isIndexMediaType, type Manifest, pickPlatform } from '../oci.js';
import { canonicalName, familiarName, type ImageReference, repositoryName } from '../reference.js';
import type { ImageStore, StoredImage } from '../store.js';
import { type Credentials } from '../../../registry/credentials.js';
import { RegistryClient, RegistryError } from './registry-client.js';
import { inParallel } from '../../../concurrency.js';

export type Progress = (msg: Record<string, unknown>) => void;

const PARALLEL_DOWNLOADS = 3;
const MAX_CONFIG_BYTES = 8 << 20;
const shortId = (digest: string) => digestHex(digest).slice(0, 12);

function progressBar(current: number, total: number): string {
  const width = 50;
  const filled = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  const mb = (n: number) => `${(n / 1e6).toFixed(2)}MB`;
  return `[${'='.repeat(Math.max(0, filled - 1))}${filled ? '>' : ''}${' '.repeat(width - filled)}] ${mb(current)}/${mb(total)}`;
}

export interface PullResult {
  image: StoredImage;
  name: string;
  upToDate: boolean;
  digest: string;
}

export async function pullImage(
  store: ImageStore,
  ref: ImageReference,
  creds: Credentials | undefined,
  progress: Progress,
): Promise<PullResult> {
  const client = new RegistryClient(ref.domain, ref.path, creds);
  const reference = ref.digest ?? ref.tag ?? 'latest';
  const top = await client.manifest(reference);
  const name = canonicalName(ref);
  progress({ status: `Pulling from ${familiarName(repositoryName(ref)).replace(/:.*$/, '')}`, id: ref.tag ?? ref.digest });

  let manifestDoc = top;
  if (isIndexMediaType(top.mediaType)) {
    const picked = pickPlatform(JSON.parse(top.body.toString('utf8')) as ImageIndex);
    if (!picked) throw new RegistryError('not-found', `no matching manifest for linux/${process.arch} in the manifest list entries`);
    manifestDoc = await client.manifest(picked.digest);
  }
  const manifest = JSON.parse(manifestDoc.body.toString('utf8')) as Manifest;
  if (!manifest.config || !Array.isArray(manifest.layers))
    throw new RegistryError('invalid', `unsupported manifest type ${manifestDoc.mediaType} (schema 1 manifests are not supported)`);

  const repoDigest = `${repositoryName(ref)}@${top.digest}`;
  const existing = store.get(manifest.config.digest);
  if (existing && (await allUnpacked(store, existing))) {
    const image = await store.record(existing.manifestDigest, existing.manifest, existing.config, ref.tag ? [name] : [], [repoDigest]);
    return { image, name, upToDate: true, digest: top.digest };
  }

  const added: string[] = []; // blobs this pull stored
  const unpacked: string[] = []; // layers this pull unpacked
  const temps: string[] = [];
  try {
    const fetchBlob = async (d: Descriptor, onProgress: (n: number) => void): Promise<void> => {
      if (await store.blobs.has(d.digest)) return;
      const tmp = store.blobs.tempPath();
      temps.push(tmp);
      await client.downloadBlob(d.digest, tmp, d.size, onProgress);
      await store.blobs.adopt(tmp, d.digest);
      added.push(d.digest);
    };
    if (manifest.config.size > MAX_CONFIG_BYTES)
      throw new RegistryError('upstream', `image config of ${familiarName(name)} is too large (${manifest.config.size} bytes)`);
    await fetchBlob(manifest.config, () => {});
    const config = await store.blobs.readJson<ImageConfig>(manifest.config.digest);
    const diffIDs = config.rootfs?.diff_ids ?? [];
    if (diffIDs.length !== manifest.layers.length)
      throw new RegistryError('invalid', `image config has ${diffIDs.length} diff_ids for ${manifest.layers.length} layers`);

    const pending: { layer: Descriptor; diffID: string }[] = [];
    for (const [i, layer] of manifest.layers.entries()) {
      const diffID = diffIDs[i]!;
      if ((await store.blobs.has(layer.digest)) && (await store.layers.has(diffID)))
        progress({ status: 'Already exists', progressDetail: {}, id: shortId(layer.digest) });
      else {
        pending.push({ layer, diffID });
        progress({ status: 'Pulling fs layer', progressDetail: {}, id: shortId(layer.digest) });
      }
    }
    // each layer unpacks into its own directory, so a layer is unpacked as soon as it is downloaded
    await inParallel(pending, PARALLEL_DOWNLOADS, async ({ layer, diffID }) => {
      const id = shortId(layer.digest);
      let last = 0;
      await fetchBlob(layer, (current) => {
        if (current - last < 512 * 1024 && current < layer.size) return;
        last = current;
        progress({ status: 'Downloading', progressDetail: { current, total: layer.size }, progress: progressBar(current, layer.size), id });
      });
      progress({ status: 'Verifying Checksum', progressDetail: {}, id });
      progress({ status: 'Download complete', progressDetail: {}, id });
      progress({ status: 'Extracting', progressDetail: { current: layer.size, total: layer.size }, id });
      if (!(await store.layers.has(diffID))) {
        await store.layers.unpack(diffID, () => store.blobs.stream(layer.digest));
        unpacked.push(diffID);
      }
      progress({ status: 'Pull complete', progressDetail: {}, id });
    });
    if (!(await store.blobs.has(manifestDoc.digest))) {
      await store.blobs.put(manifestDoc.body);
      added.push(manifestDoc.digest);
    }
    const image = await store.record(manifestDoc.digest, manifest, config, ref.tag ? [name] : [], [repoDigest]);
    return { image, name, upToDate: false, digest: top.digest };
  } catch (err) {
    for (const d of added) await store.blobs.remove(d);
    for (const l of unpacked) await store.layers.remove(l);
    if (err instanceof DigestMismatchError)
      throw new RegistryError('upstream', `pull of ${familiarName(name)} failed: ${err.message} (the download was discarded)`);
    throw err;
  } finally {
    for (const t of temps) await fs.rm(t, { force: true });
  }
}

async function allUnpacked(store: ImageStore, image: StoredImage): Promise<boolean> {
  for (const d of image.config.rootfs.diff_ids) if (!(await store.layers.has(d))) return false;
  return true;
}
