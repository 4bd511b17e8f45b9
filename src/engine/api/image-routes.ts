// The /images routes of the Docker Engine API (list, inspect, history, load, save, push, tag, remove, prune),
// over the image subsystem's ImageManagement; images/api-format.ts gives Docker's JSON shapes.
import type { ImageManagement, ImageRemoval } from '../contracts.js';
import { invalid } from '../errors.js';
import { imageHistory, imageInspect, imageSummary, matchesFilters } from '../images/api-format.js';
import { fromRegistryAuthHeader } from '../../registry/credentials.js';
import { familiarName } from '../images/reference.js';
import type { LoadedImage } from '../images/load.js';
import { parseFilters, queryBool, sendJson, startJsonStream, streamError } from './http.js';
import type { RequestContext, Router } from './router.js';
import { byCodepoint } from '../../codepoint-order.js';

export function registerImageRoutes(router: Router, images: ImageManagement): void {
  router.add('GET', '/images/json', async ({ res, query }) => {
    const filters = parseFilters(query);
    const list = (await images.images()).filter((i) => matchesFilters(i, filters));
    list.sort((a, b) => byCodepoint(b.config.created ?? '', a.config.created ?? ''));
    sendJson(res, 200, list.map(imageSummary));
  });
  router.add('POST', '/images/load', (c) => loadRoute(c, images));
  router.add('GET', '/images/get', (c) => saveRoute(c, images, c.query.getAll('names')));
  router.add('GET', '/images/*name/get', (c) => saveRoute(c, images, [c.params.name!]));
  router.add('GET', '/images/*name/json', async ({ res, params }) => {
    sendJson(
      res,
      200,
      imageInspect(await images.find(params.name!), (diffId) => images.layerDir(diffId)),
    );
  });
  router.add('GET', '/images/*name/history', async ({ res, params }) => sendJson(res, 200, imageHistory(await images.find(params.name!))));
  router.add('POST', '/images/prune', async ({ res, query }) => {
    const filters = parseFilters(query);
    // filters dangling=false: every image no container uses, not only untagged ones
    const all = filters.dangling?.[0] === 'false' || filters.dangling?.[0] === '0';
    const { removed, reclaimed } = await images.pruneImages({ all, labels: filters.label ?? [] });
    sendJson(res, 200, { ImagesDeleted: removed.length ? removed.map(removalView) : null, SpaceReclaimed: reclaimed });
  });
  router.add('POST', '/images/*name/push', (c) => pushRoute(c, images));
  router.add('POST', '/images/*name/tag', async ({ res, params, query }) => {
    const image = await images.find(params.name!);
    const repo = query.get('repo');
    if (!repo) throw invalid('repo is required');
    await images.tag(image.id, repo + (query.get('tag') ? `:${query.get('tag')}` : ''));
    res.writeHead(201);
    res.end();
  });
  router.add('DELETE', '/images/*name', async ({ res, params, query }) => {
    sendJson(res, 200, (await images.removeImage(params.name!, queryBool(query, 'force'))).map(removalView));
  });
}

async function loadRoute(c: RequestContext, images: ImageManagement): Promise<void> {
  let loaded: LoadedImage[];
  try {
    loaded = await images.load(c.req);
  } catch (err) {
    // Docker answers 200 and reports a bad archive in the JSON stream
    c.req.resume();
    startJsonStream(c.res)({ errorDetail: { message: (err as Error).message }, error: (err as Error).message });
    c.res.end();
    return;
  }
  const send = startJsonStream(c.res);
  for (const line of loadedMessages(loaded)) send({ stream: line });
  c.res.end();
}

async function pushRoute(c: RequestContext, images: ImageManagement): Promise<void> {
  const credentials = fromRegistryAuthHeader(c.req.headers['x-registry-auth'] as string | undefined);
  // errors before the first progress message (no such tag) get a real HTTP status, later ones go in the stream
  let send: ((msg: Record<string, unknown>) => void) | undefined;
  const progress = (msg: Record<string, unknown>) => {
    (send ??= startJsonStream(c.res))(msg);
  };
  try {
    await images.push(c.params.name!, c.query.get('tag') || undefined, credentials, progress);
  } catch (err) {
    if (!send) throw err;
    streamError(send, err);
  }
  c.res.end();
}

async function saveRoute(c: RequestContext, images: ImageManagement, refs: string[]): Promise<void> {
  if (refs.length === 0) throw invalid('no image names given');
  const write = await images.exportImages(refs);
  c.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  await write(c.res);
}

function loadedMessages(loaded: LoadedImage[]): string[] {
  return loaded.flatMap(({ image, names }) =>
    names.length ? names.map((n) => `Loaded image: ${familiarName(n)}\n`) : [`Loaded image ID: ${image.id}\n`],
  );
}

const removalView = (r: ImageRemoval): Record<string, string> => ('untagged' in r ? { Untagged: r.untagged } : { Deleted: r.deleted });
