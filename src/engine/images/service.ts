// The image service: the store and what is done with it (load, save, import, pull, build, tag, remove,
// prune, commit). The routes in api/ call it through ImageManagement and ImageBuilding.
import { Readable, type Writable } from 'node:stream';
import { conflict, internal, invalid, notFound } from '../errors.js';
import type {
  BuildRequest,
  CommitRequest,
  EngineContext,
  ImageBuilding,
  ImageImportRequest,
  ImageManagement,
  ImagePullResult,
  ImageRecord,
  ImageRemoval,
  ImageService,
  OneShotRunner,
} from '../contracts.js';
import type { ImageConfig } from './oci.js';
import { packLayer } from './build/layer-pack.js';
import { imageSize, matchesFilters } from './api-format.js';
import { applyChanges } from './build/changes.js';
import { BuildCache } from './build/cache.js';
import { runBuild } from './build/run.js';
import { createSession, takeSession, type BuildSession } from './build/secrets.js';
import { importRootfs } from './import.js';
import { loadArchive, type LoadedImage } from './load.js';
import { fromDockerConfig, type Credentials } from '../../registry/credentials.js';
import { pullImage, type Progress } from './pull/puller.js';
import { pushImage, type PushResult } from './push/pusher.js';
import { CompressedLayers } from './push/compressed-layers.js';
import { canonicalName, familiarName, parseReference, repositoryName, type ImageReference } from './reference.js';
import { saveImages, savedNames } from './save.js';
import { ImageStore, type StoredImage } from './store.js';
import { DigestMismatchError } from './blobs.js';
import { UnsafeLayerError } from './extract.js';

/** Tells which containers use an image (by image id); the container subsystem provides it. */
export type ImageUsageProbe = (imageId: string) => string[] | Promise<string[]>;

export interface BundledImageService extends ImageService, ImageManagement, ImageBuilding {
  readonly store: ImageStore;
  setUsageProbe(probe: ImageUsageProbe): void;
}

export class ImageServiceImpl implements BundledImageService {
  readonly store: ImageStore;
  private ready: Promise<void>;
  private readonly compressedLayers: CompressedLayers;
  private usage: ImageUsageProbe = () => [];

  constructor(
    private readonly ctx: EngineContext,
    private readonly runner: OneShotRunner,
  ) {
    this.store = new ImageStore(ctx.paths.images, ctx.paths.layers, ctx.paths.tmp);
    this.compressedLayers = CompressedLayers.beside(ctx.paths.images);
    this.ready = this.store.init();
  }

  setUsageProbe(probe: ImageUsageProbe): void {
    this.usage = probe;
  }

  async resolve(ref: string): Promise<ImageRecord | undefined> {
    await this.ready;
    const image = this.store.find(ref);
    // a record whose layer directories are gone would only fail later as an overlay mount error
    if (!image || !(await this.store.ensureLayers(image))) return undefined;
    return this.store.toRecord(image);
  }

  async list(): Promise<ImageRecord[]> {
    await this.ready;
    return this.store.all().map((i) => this.store.toRecord(i));
  }

  async images(): Promise<StoredImage[]> {
    await this.ready;
    return this.store.all();
  }

  async find(ref: string): Promise<StoredImage> {
    await this.ready;
    const image = this.store.find(ref);
    if (!image) throw notFound(`No such image: ${ref}`);
    return image;
  }

  async commitLayer(o: CommitRequest): Promise<ImageRecord> {
    const parent = await this.find(o.parent);
    const layer = await packLayer(o.layerDir, this.store.blobs, o.skip);
    const created = new Date().toISOString();
    const config: ImageConfig = {
      ...parent.config,
      created,
      config: o.config,
      rootfs: { type: 'layers', diff_ids: [...parent.config.rootfs.diff_ids, layer.diffID] },
      history: [
        ...(parent.config.history ?? []),
        { created, created_by: o.createdBy, ...(o.comment ? { comment: o.comment } : {}), ...(o.author ? { author: o.author } : {}) },
      ],
      ...(o.author ? { author: o.author } : {}),
      ...(o.comment !== undefined ? { comment: o.comment } : {}),
    };
    const names = o.name ? [canonicalName(parseReference(o.name))] : [];
    const image = await this.store.commit(config, [...parent.manifest.layers, layer.descriptor], names);
    await this.store.setParent(image.id, parent.id);
    if (!(await this.store.ensureLayers(image))) throw internal('the committed layer could not be unpacked');
    this.publish('commit', image.id, names[0] && familiarName(names[0]));
    return this.store.toRecord(image);
  }

  private publish(action: string, id: string, name?: string): void {
    this.ctx.events.publish({ Type: 'image', Action: action, Actor: { ID: name ?? id, Attributes: { name: name ?? id } } });
  }

  layerDir(diffId: string): string {
    return this.store.layers.dir(diffId);
  }

  async load(archive: Readable): Promise<LoadedImage[]> {
    await this.ready;
    const loaded = await loadArchive(this.store, archive, this.ctx.paths.tmp).catch(rejectBadContent);
    for (const { image, names } of loaded) this.publish('load', image.id, names[0] && familiarName(names[0]));
    return loaded;
  }

  async exportImages(refs: string[]): Promise<(out: Writable) => Promise<void>> {
    const images = await Promise.all(
      refs.map(async (r) => {
        const image = await this.find(r);
        return { image, names: savedNames(r, image) };
      }),
    );
    return (out) => saveImages(this.store, images, out);
  }

  async importImage(req: ImageImportRequest): Promise<StoredImage> {
    await this.ready;
    const body = typeof req.source === 'string' ? await fetchRootfs(req.source) : req.source;
    const names = req.name ? [canonicalName(parseReference(req.name))] : [];
    const config = applyChanges(req.changes);
    const image = await importRootfs(this.store, body, { names, message: req.message, config }).catch(rejectBadContent);
    this.publish('import', image.id, names[0] && familiarName(names[0]));
    return image;
  }

  async pull(ref: ImageReference, credentials: Credentials | undefined, progress: Progress): Promise<ImagePullResult> {
    await this.ready;
    const result = await pullImage(this.store, ref, credentials ?? fromDockerConfig(ref.domain), progress);
    const name = familiarName(result.name);
    this.publish('pull', result.image.id, name);
    return { imageId: result.image.id, name, digest: result.digest, upToDate: result.upToDate };
  }

  async push(name: string, tag: string | undefined, credentials: Credentials | undefined, progress: Progress): Promise<PushResult[]> {
    await this.ready;
    let ref: ImageReference;
    try {
      ref = parseReference(tag ? `${name}:${tag}` : name);
    } catch {
      throw invalid(`invalid reference format: ${name}`);
    }
    // "repo" alone (no tag in the name or the query) pushes every tag of the repository, as Docker does
    const explicit = !!tag || /:[\w][\w.-]*$/.test(name.slice(name.lastIndexOf('/') + 1));
    const repo = repositoryName(ref);
    const targets = explicit
      ? [canonicalName(ref)]
      : this.store
          .all()
          .flatMap((i) => i.names)
          .filter((n) => n.startsWith(`${repo}:`))
          .sort();
    if (ref.digest || !targets.length || (explicit && !this.store.find(targets[0]!))) {
      throw notFound(`An image does not exist locally with the tag: ${familiarName(explicit ? canonicalName(ref) : repo)}`);
    }
    const results: PushResult[] = [];
    for (const target of targets) {
      const image = this.store.find(target)!;
      const targetRef = parseReference(target);
      const result = await pushImage(
        this.store,
        image,
        targetRef,
        credentials ?? fromDockerConfig(targetRef.domain),
        progress,
        this.compressedLayers,
      );
      await this.store.record(image.manifestDigest, image.manifest, image.config, [], [`${repo}@${result.digest}`]);
      this.publish('push', image.id, familiarName(target));
      results.push(result);
    }
    return results;
  }

  async tag(ref: string, name: string): Promise<void> {
    const image = await this.find(ref);
    const canonical = canonicalName(parseReference(name));
    await this.store.tag(image.id, canonical);
    this.publish('tag', image.id, familiarName(canonical));
  }

  async removeImage(ref: string, force: boolean): Promise<ImageRemoval[]> {
    const image = await this.find(ref);
    let byName: string | undefined;
    try {
      const n = canonicalName(parseReference(ref));
      if (image.names.includes(n)) byName = n;
    } catch {
      /* an id */
    }
    const users = await this.usage(image.id);
    const removed: ImageRemoval[] = [];
    const untag = async (name: string) => {
      await this.store.untag(name);
      removed.push({ untagged: familiarName(name) });
      this.publish('untag', image.id, familiarName(name));
    };
    if (byName && image.names.length > 1) {
      await untag(byName);
    } else {
      if (!byName && image.names.length > 1 && !force) {
        throw conflict(
          `conflict: unable to delete ${image.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
        );
      }
      if (users.length && !force) {
        throw conflict(
          `conflict: unable to delete ${byName ? familiarName(byName) : image.id.slice(7, 19)} (must be forced) - image is being used by container ${users[0]!.slice(0, 12)}`,
        );
      }
      for (const name of [...image.names]) await untag(name);
      if (!users.length) {
        await this.store.delete(image.id);
        removed.push({ deleted: image.id });
        this.publish('delete', image.id);
      }
    }
    return removed;
  }

  async pruneImages(opts: { all: boolean; labels: string[] }): Promise<{ removed: ImageRemoval[]; reclaimed: number }> {
    await this.ready;
    const removed: ImageRemoval[] = [];
    let reclaimed = 0;
    for (const image of this.store.all()) {
      if (!opts.all && image.names.length) continue;
      if (!matchesFilters(image, { label: opts.labels })) continue;
      if ((await this.usage(image.id)).length) continue;
      for (const name of [...image.names]) {
        await this.store.untag(name);
        removed.push({ untagged: familiarName(name) });
      }
      reclaimed += imageSize(image);
      await this.store.delete(image.id);
      removed.push({ deleted: image.id });
      this.publish('delete', image.id);
    }
    return { removed, reclaimed };
  }

  // ---- building ------------------------------------------------------------------------------------

  createBuildSession(body: unknown): string {
    return createSession(body);
  }
  claimBuildSession(token: string | null): () => BuildSession | undefined {
    return takeSession(token);
  }
  async checkBuildNetwork(network: string): Promise<void> {
    await this.runner.checkNetwork?.(network);
  }

  async build(req: BuildRequest, emit: (msg: Record<string, unknown>) => void): Promise<{ imageId: string }> {
    await this.ready;
    const image = await runBuild({ store: this.store, runner: this.runner, paths: this.ctx.paths }, req, emit);
    for (const t of req.tags) this.publish('tag', image.id, familiarName(t));
    return { imageId: image.id };
  }

  pruneBuildCache(): Promise<number> {
    return new BuildCache(this.ctx.paths.buildCache, this.store).prune();
  }
}

async function fetchRootfs(url: string): Promise<Readable> {
  const res = await fetch(url).catch((err: Error) => {
    throw invalid(`cannot download ${url}: ${err.message}`);
  });
  if (!res.ok || !res.body) throw invalid(`cannot download ${url}: the server answered ${res.status}`);
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
}

/** Hostile or corrupt uploaded content is the client's fault: 400, not 500. */
function rejectBadContent(err: unknown): never {
  if (err instanceof UnsafeLayerError || err instanceof DigestMismatchError) throw invalid(`invalid image content: ${err.message}`);
  if ((err as NodeJS.ErrnoException).code === 'ENAMETOOLONG') throw invalid(`invalid image content: a path in the archive is too long`);
  throw err;
}
