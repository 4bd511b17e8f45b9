// The image catalog: images by id (config digest) with their names, persisted as the OCI layout's
// index.json (one descriptor per name, `org.opencontainers.image.ref.name` = the canonical name).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ImageRecord } from '../contracts.js';
import { BlobStore, digestHex, isDigest } from './blobs.js';
import { UnsafeLayerError } from './extract.js';
import { LayerStore } from './layers.js';
import { type Descriptor, type ImageConfig, type ImageIndex, type Manifest, MediaType, REF_NAME_ANNOTATION } from './oci.js';
import { canonicalName, parseReference } from './reference.js';

const REPO_DIGESTS_ANNOTATION = 'io.tscompose.repo-digests';
const PARENT_ANNOTATION = 'io.tscompose.parent';

export interface StoredImage {
  id: string;
  manifestDigest: string;
  manifest: Manifest;
  config: ImageConfig;
  names: string[]; // canonical: docker.io/library/busybox:latest
  repoDigests: string[]; // canonical repo@sha256:…
  /** the image a `docker commit` started from (Docker's Parent), kept in the index as an annotation */
  parent?: string;
}

export class ImageStore {
  readonly blobs: BlobStore;
  readonly layers: LayerStore;
  private images = new Map<string, StoredImage>();
  /** digests (blobs and diffIDs) that running builds use before any stored image refers to them */
  private pins = new Set<Set<string>>();
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly layoutRoot: string,
    layersRoot: string,
    tmpDir: string,
  ) {
    this.blobs = new BlobStore(layoutRoot, tmpDir);
    this.layers = new LayerStore(layersRoot);
  }

  async init(): Promise<void> {
    await this.blobs.init();
    await this.layers.init();
    await fs.writeFile(path.join(this.layoutRoot, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    let index: ImageIndex;
    try {
      index = JSON.parse(await fs.readFile(this.indexPath(), 'utf8')) as ImageIndex;
    } catch {
      return;
    }
    for (const d of index.manifests) {
      let image = [...this.images.values()].find((i) => i.manifestDigest === d.digest);
      if (!image) {
        try {
          const manifest = await this.blobs.readJson<Manifest>(d.digest);
          const config = await this.blobs.readJson<ImageConfig>(manifest.config.digest);
          image = { id: manifest.config.digest, manifestDigest: d.digest, manifest, config, names: [], repoDigests: [] };
          this.images.set(image.id, image);
        } catch {
          continue;
        } // a manifest whose blobs are gone: drop it
      }
      const name = d.annotations?.[REF_NAME_ANNOTATION];
      if (name && !image.names.includes(name)) image.names.push(name);
      const parent = d.annotations?.[PARENT_ANNOTATION];
      if (parent) image.parent = parent;
      for (const rd of (d.annotations?.[REPO_DIGESTS_ANNOTATION] ?? '').split(',').filter(Boolean)) {
        if (!image.repoDigests.includes(rd)) image.repoDigests.push(rd);
      }
    }
  }

  all(): StoredImage[] {
    return [...this.images.values()];
  }
  get(id: string): StoredImage | undefined {
    return this.images.get(id);
  }

  /** name[:tag], name@digest, full id, "sha256:" id or an unambiguous id prefix. */
  find(ref: string): StoredImage | undefined {
    const byId = this.images.get(ref) ?? this.images.get(`sha256:${ref}`);
    if (byId) return byId;
    const byName = this.findByName(ref);
    if (byName) return byName;
    // like Docker, a name wins over an id prefix that happens to look the same ("cafe")
    const hex = ref.replace(/^sha256:/, '');
    if (/^[a-f0-9]{4,64}$/.test(hex)) {
      const matches = this.all().filter((i) => digestHex(i.id).startsWith(hex));
      if (matches.length === 1) return matches[0];
    }
    return undefined;
  }

  private findByName(ref: string): StoredImage | undefined {
    let parsed;
    try {
      parsed = parseReference(ref);
    } catch {
      return undefined;
    }
    if (parsed.digest) {
      const repoDigest = `${parsed.domain}/${parsed.path}@${parsed.digest}`;
      return this.all().find((i) => i.repoDigests.includes(repoDigest));
    }
    const name = canonicalName(parsed);
    return this.all().find((i) => i.names.includes(name));
  }

  /** Writes config + manifest and records the image under `names` (moved from any other image). */
  async commit(config: ImageConfig | Buffer, layers: Descriptor[], names: string[] = [], repoDigests: string[] = []): Promise<StoredImage> {
    const configBytes = Buffer.isBuffer(config) ? config : Buffer.from(JSON.stringify(config));
    const configBlob = await this.blobs.put(configBytes);
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, ...configBlob },
      layers,
    };
    const manifestBlob = await this.blobs.put(JSON.stringify(manifest));
    return this.record(manifestBlob.digest, manifest, JSON.parse(configBytes.toString('utf8')) as ImageConfig, names, repoDigests);
  }

  /** Records an image whose manifest and config blobs are already stored (pull, load). */
  async record(
    manifestDigest: string,
    manifest: Manifest,
    config: ImageConfig,
    names: string[],
    repoDigests: string[] = [],
  ): Promise<StoredImage> {
    validateImage(manifest, config);
    const id = manifest.config.digest;
    let image = this.images.get(id);
    if (!image) {
      image = { id, manifestDigest, manifest, config, names: [], repoDigests: [] };
      this.images.set(id, image);
    }
    for (const n of names) this.attachName(image, n);
    for (const rd of repoDigests) if (!image.repoDigests.includes(rd)) image.repoDigests.push(rd);
    await this.save();
    return image;
  }

  async setParent(id: string, parent: string): Promise<void> {
    const image = this.images.get(id);
    if (!image || image.parent === parent) return;
    image.parent = parent;
    await this.save();
  }

  async tag(id: string, name: string): Promise<void> {
    const image = this.images.get(id);
    if (!image) throw new Error(`no image ${id}`);
    this.attachName(image, name);
    await this.save();
  }

  async untag(name: string): Promise<StoredImage | undefined> {
    const image = this.all().find((i) => i.names.includes(name));
    if (!image) return undefined;
    image.names = image.names.filter((n) => n !== name);
    await this.save();
    return image;
  }

  /** Keeps every digest in `digests` (a live set: add to it later) from deletion until the returned release is called. */
  pin(digests: Set<string>): () => void {
    this.pins.add(digests);
    return () => {
      this.pins.delete(digests);
    };
  }

  /** Forgets the image and deletes blobs and unpacked layers no other image (or pinned build) uses. */
  async delete(id: string): Promise<void> {
    const image = this.images.get(id);
    if (!image) return;
    this.images.delete(id);
    await this.save();
    const pinned = [...this.pins].flatMap((p) => [...p]);
    const keptBlobs = new Set<string>(pinned);
    const keptDiffs = new Set<string>(pinned);
    for (const other of this.images.values()) {
      keptBlobs.add(other.manifestDigest).add(other.manifest.config.digest);
      for (const l of other.manifest.layers) keptBlobs.add(l.digest);
      for (const d of other.config.rootfs.diff_ids) keptDiffs.add(d);
    }
    for (const digest of [image.manifestDigest, image.manifest.config.digest, ...image.manifest.layers.map((l) => l.digest)]) {
      if (!keptBlobs.has(digest)) await this.blobs.remove(digest);
    }
    for (const diffID of image.config.rootfs.diff_ids) if (!keptDiffs.has(diffID)) await this.layers.remove(diffID);
  }

  /**
   * True when every layer of the image is unpacked, re-unpacking any missing directory from its blob;
   * false when a layer is gone for good (its blob too) or its blob no longer matches the diffID.
   */
  async ensureLayers(image: StoredImage): Promise<boolean> {
    const diffIDs = image.config.rootfs.diff_ids;
    for (const [i, diffID] of diffIDs.entries()) {
      if (await this.layers.has(diffID)) continue;
      const blob = image.manifest.layers[i]?.digest;
      if (!blob || !(await this.blobs.has(blob))) return false;
      try {
        await this.layers.unpack(diffID, () => this.blobs.stream(blob));
      } catch {
        return false;
      }
    }
    return true;
  }

  toRecord(image: StoredImage): ImageRecord {
    return {
      id: image.id,
      repoTags: [...image.names],
      repoDigests: [...image.repoDigests],
      created: image.config.created ?? new Date(0).toISOString(),
      size: image.manifest.layers.reduce((s, l) => s + l.size, 0),
      architecture: image.config.architecture,
      os: image.config.os,
      config: image.config.config ?? {},
      layerDirs: image.config.rootfs.diff_ids.map((d) => this.layers.dir(d)),
    };
  }

  private attachName(image: StoredImage, name: string): void {
    for (const other of this.images.values()) if (other !== image) other.names = other.names.filter((n) => n !== name);
    if (!image.names.includes(name)) image.names.push(name);
  }

  private indexPath(): string {
    return path.join(this.layoutRoot, 'index.json');
  }

  /** Serialized atomic rewrite of index.json. */
  private save(): Promise<void> {
    const run = async () => {
      const manifests: Descriptor[] = [];
      for (const image of this.images.values()) {
        const size = await this.blobs.size(image.manifestDigest).catch(() => 0);
        const base = { mediaType: MediaType.ociManifest, digest: image.manifestDigest, size };
        const repoDigests: Record<string, string> = {
          ...(image.repoDigests.length ? { [REPO_DIGESTS_ANNOTATION]: image.repoDigests.join(',') } : {}),
          ...(image.parent ? { [PARENT_ANNOTATION]: image.parent } : {}),
        };
        if (image.names.length === 0) manifests.push({ ...base, annotations: { ...repoDigests } });
        for (const name of image.names) manifests.push({ ...base, annotations: { [REF_NAME_ANNOTATION]: name, ...repoDigests } });
      }
      const tmp = `${this.indexPath()}.tmp`;
      await fs.writeFile(tmp, JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }, null, 2));
      await fs.rename(tmp, this.indexPath());
    };
    this.writing = this.writing.then(run, run);
    return this.writing;
  }
}

/** Untrusted documents (loaded, pulled) must be self-consistent before they name files in the store. */
function validateImage(manifest: Manifest, config: ImageConfig): void {
  const diffIDs = config?.rootfs?.diff_ids;
  if (!Array.isArray(diffIDs) || !diffIDs.every(isDigest)) throw new UnsafeLayerError('the image config has invalid rootfs.diff_ids');
  if (!Array.isArray(manifest?.layers) || !manifest.layers.every((l) => isDigest(l.digest)) || !isDigest(manifest.config?.digest)) {
    throw new UnsafeLayerError('the image manifest has invalid digests');
  }
  if (diffIDs.length !== manifest.layers.length)
    throw new UnsafeLayerError(`the image has ${manifest.layers.length} layers but ${diffIDs.length} diff_ids`);
}
