// The image service: the store plus the /images routes the daemon registers.
import { Readable } from 'node:stream';
import type { Router, RequestContext } from '../api/router.js';
import { parseFilters, queryBool, sendJson, startJsonStream } from '../api/http.js';
import { EngineError, conflict, internal, invalid, notFound } from '../errors.js';
import type { CommitRequest, EngineContext, ImageRecord, ImageService, OneShotRunner } from '../contracts.js';
import type { ImageConfig } from './oci.js';
import { packLayer } from './build/layer-pack.js';
import { imageHistory, imageInspect, imageSize, imageSummary, matchesFilters } from './api-format.js';
import { applyChanges } from './build/changes.js';
import { importRootfs } from './import.js';
import { loadArchive, loadedMessages } from './load.js';
import { canonicalName, familiarName, parseReference } from './reference.js';
import { saveImages, savedNames } from './save.js';
import { ImageStore, type StoredImage } from './store.js';
import { DigestMismatchError } from './blobs.js';
import { UnsafeLayerError } from './extract.js';

/** Tells which containers use an image (by image id); the container subsystem provides it. */
export type ImageUsageProbe = (imageId: string) => string[] | Promise<string[]>;

export interface BundledImageService extends ImageService {
  readonly store: ImageStore;
  setUsageProbe(probe: ImageUsageProbe): void;
}

/** Extra route groups (build, pull) plug in here so each lives in its own module. */
export interface ImageRouteModule { register(router: Router, service: ImageServiceImpl): void }

export class ImageServiceImpl implements BundledImageService {
  readonly store: ImageStore;
  private ready: Promise<void>;
  private usage: ImageUsageProbe = () => [];

  constructor(readonly ctx: EngineContext, readonly runner: OneShotRunner, private readonly modules: ImageRouteModule[] = []) {
    this.store = new ImageStore(ctx.paths.images, ctx.paths.layers, ctx.paths.tmp);
    this.ready = this.store.init();
  }

  whenReady(): Promise<void> { return this.ready; }
  setUsageProbe(probe: ImageUsageProbe): void { this.usage = probe; }

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

  async mustFind(ref: string): Promise<StoredImage> {
    await this.ready;
    const image = this.store.find(ref);
    if (!image) throw notFound(`No such image: ${ref}`);
    return image;
  }

  async commitLayer(o: CommitRequest): Promise<ImageRecord> {
    const parent = await this.mustFind(o.parent);
    const layer = await packLayer(o.layerDir, this.store.blobs, o.skip);
    const created = new Date().toISOString();
    const config: ImageConfig = {
      ...parent.config, created, config: o.config,
      rootfs: { type: 'layers', diff_ids: [...parent.config.rootfs.diff_ids, layer.diffID] },
      history: [...(parent.config.history ?? []), { created, created_by: o.createdBy, ...(o.comment ? { comment: o.comment } : {}), ...(o.author ? { author: o.author } : {}) }],
      ...(o.author ? { author: o.author } : {}), ...(o.comment !== undefined ? { comment: o.comment } : {}),
    };
    const names = o.name ? [canonicalName(parseReference(o.name))] : [];
    const image = await this.store.commit(config, [...parent.manifest.layers, layer.descriptor], names);
    if (!(await this.store.ensureLayers(image))) throw internal('the committed layer could not be unpacked');
    this.publish('commit', image.id, names[0] && familiarName(names[0]));
    return this.store.toRecord(image);
  }

  publish(action: string, id: string, name?: string): void {
    this.ctx.events.publish({ Type: 'image', Action: action, Actor: { ID: name ?? id, Attributes: { name: name ?? id } } });
  }

  registerRoutes(router: Router): void {
    router.add('GET', '/images/json', (c) => this.listRoute(c));
    router.add('POST', '/images/load', (c) => this.loadRoute(c));
    router.add('GET', '/images/get', (c) => this.saveRoute(c, c.query.getAll('names')));
    router.add('GET', '/images/*name/get', (c) => this.saveRoute(c, [c.params.name!]));
    router.add('GET', '/images/*name/json', async (c) => sendJson(c.res, 200, imageInspect(this.store, await this.mustFind(c.params.name!))));
    router.add('GET', '/images/*name/history', async (c) => sendJson(c.res, 200, imageHistory(await this.mustFind(c.params.name!))));
    router.add('POST', '/images/prune', (c) => this.pruneRoute(c));
    router.add('POST', '/images/*name/tag', (c) => this.tagRoute(c));
    router.add('DELETE', '/images/*name', (c) => this.removeRoute(c));
    for (const m of this.modules) m.register(router, this);
  }

  /** POST /images/create?fromSrc=-; modules (pull) register their own /images/create handling first. */
  async importRoute(c: RequestContext): Promise<void> {
    await this.ready;
    const src = c.query.get('fromSrc');
    if (src !== '-' && !/^https?:\/\//.test(src ?? '')) throw invalid('fromSrc must be "-" (the request body) or an http(s) URL');
    const body = src === '-' ? c.req : await fetchRootfs(src!);
    const repo = c.query.get('repo');
    const names = repo ? [canonicalName(parseReference(repo + (c.query.get('tag') ? `:${c.query.get('tag')}` : '')))] : [];
    const config = applyChanges(c.query.getAll('changes'));
    const image = await importRootfs(this.store, body, { names, message: c.query.get('message') ?? undefined, config }).catch(rejectBadContent);
    this.publish('import', image.id, names[0] && familiarName(names[0]));
    const send = startJsonStream(c.res);
    send({ status: image.id });
    c.res.end();
  }

  private async listRoute(c: RequestContext): Promise<void> {
    await this.ready;
    const filters = parseFilters(c.query);
    const images = this.store.all().filter((i) => matchesFilters(i, filters));
    images.sort((a, b) => (b.config.created ?? '').localeCompare(a.config.created ?? ''));
    sendJson(c.res, 200, images.map(imageSummary));
  }

  private async loadRoute(c: RequestContext): Promise<void> {
    await this.ready;
    let loaded: Awaited<ReturnType<typeof loadArchive>>;
    try {
      loaded = await loadArchive(this.store, c.req, this.ctx.paths.tmp);
    } catch (err) {
      // Docker answers 200 and reports a bad archive in the JSON stream
      const message = (() => { try { rejectBadContent(err); } catch (e) { return (e as Error).message; } return String(err); })();
      c.req.resume();
      startJsonStream(c.res)({ errorDetail: { message }, error: message });
      c.res.end();
      return;
    }
    for (const { image, names } of loaded) this.publish('load', image.id, names[0] && familiarName(names[0]));
    const send = startJsonStream(c.res);
    for (const line of loadedMessages(loaded)) send({ stream: line });
    c.res.end();
  }

  private async saveRoute(c: RequestContext, refs: string[]): Promise<void> {
    if (refs.length === 0) throw invalid('no image names given');
    const images = await Promise.all(refs.map(async (r) => { const image = await this.mustFind(r); return { image, names: savedNames(r, image) }; }));
    c.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    await saveImages(this.store, images, c.res);
  }

  /** Removes unused images: untagged ones, or with filters dangling=false every image no container uses. */
  private async pruneRoute(c: RequestContext): Promise<void> {
    await this.ready;
    const filters = parseFilters(c.query);
    const all = filters.dangling?.[0] === 'false' || filters.dangling?.[0] === '0';
    const deleted: Record<string, string>[] = [];
    let reclaimed = 0;
    for (const image of this.store.all()) {
      if (!all && image.names.length) continue;
      if (!matchesFilters(image, { label: filters.label ?? [] })) continue;
      if ((await this.usage(image.id)).length) continue;
      for (const name of [...image.names]) { await this.store.untag(name); deleted.push({ Untagged: familiarName(name) }); }
      reclaimed += imageSize(image);
      await this.store.delete(image.id);
      deleted.push({ Deleted: image.id });
      this.publish('delete', image.id);
    }
    sendJson(c.res, 200, { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed });
  }

  private async tagRoute(c: RequestContext): Promise<void> {
    const image = await this.mustFind(c.params.name!);
    const repo = c.query.get('repo');
    if (!repo) throw invalid('repo is required');
    const name = canonicalName(parseReference(repo + (c.query.get('tag') ? `:${c.query.get('tag')}` : '')));
    await this.store.tag(image.id, name);
    this.publish('tag', image.id, familiarName(name));
    c.res.writeHead(201);
    c.res.end();
  }

  private async removeRoute(c: RequestContext): Promise<void> {
    const ref = c.params.name!;
    const image = await this.mustFind(ref);
    const force = queryBool(c.query, 'force');
    let byName: string | undefined;
    try { const n = canonicalName(parseReference(ref)); if (image.names.includes(n)) byName = n; } catch { /* an id */ }
    const users = await this.usage(image.id);
    const report: Record<string, string>[] = [];
    const untag = async (name: string) => {
      await this.store.untag(name);
      report.push({ Untagged: familiarName(name) });
      this.publish('untag', image.id, familiarName(name));
    };
    if (byName && image.names.length > 1) {
      await untag(byName);
    } else {
      if (!byName && image.names.length > 1 && !force) {
        throw conflict(`conflict: unable to delete ${image.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
      }
      if (users.length && !force) {
        throw conflict(`conflict: unable to delete ${byName ? familiarName(byName) : image.id.slice(7, 19)} (must be forced) - image is being used by container ${users[0]!.slice(0, 12)}`);
      }
      for (const name of [...image.names]) await untag(name);
      if (!users.length) {
        await this.store.delete(image.id);
        report.push({ Deleted: image.id });
        this.publish('delete', image.id);
      }
    }
    sendJson(c.res, 200, report);
  }
}

async function fetchRootfs(url: string): Promise<Readable> {
  const res = await fetch(url).catch((err: Error) => { throw invalid(`cannot download ${url}: ${err.message}`); });
  if (!res.ok || !res.body) throw invalid(`cannot download ${url}: the server answered ${res.status}`);
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
}

/** Hostile or corrupt uploaded content is the client's fault: 400, not 500. */
function rejectBadContent(err: unknown): never {
  if (err instanceof UnsafeLayerError || err instanceof DigestMismatchError) throw invalid(`invalid image content: ${err.message}`);
  if ((err as NodeJS.ErrnoException).code === 'ENAMETOOLONG') throw invalid(`invalid image content: a path in the archive is too long`);
  throw err;
}

/** Writes an error into an already started JSON progress stream, as Docker does. */
export function streamError(send: (msg: Record<string, unknown>) => void, err: unknown): void {
  const message = err instanceof EngineError || err instanceof Error ? err.message : String(err);
  send({ errorDetail: { message }, error: message });
}
