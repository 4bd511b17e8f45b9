// POST /build (classic builder protocol) and POST /build/prune.
import type { RequestContext } from '../../api/router.js';
import { queryBool, readJson, sendJson, startJsonStream } from '../../api/http.js';
import { invalid } from '../../errors.js';
import { canonicalName, parseReference } from '../reference.js';
import type { ImageRouteModule, ImageServiceImpl } from '../service.js';
import { streamError } from '../service.js';
import { Builder } from './builder.js';
import { BuildCache } from './cache.js';
import { receiveContext } from './context.js';
import { createSession, takeSession } from './secrets.js';
import { fromRegistryConfigHeader } from '../pull/credentials.js';
import { familiarName } from '../reference.js';

function jsonParam<T>(c: RequestContext, key: string, fallback: T): T {
  const raw = c.query.get(key);
  if (!raw) return fallback;
  try { return JSON.parse(raw) as T; } catch { throw invalid(`invalid ${key}: ${raw}`); }
}

/** `extrahosts`: "name:ip" entries, one per parameter as the docker CLI sends them; a comma-separated
 *  list in one parameter is taken too. */
function buildExtraHosts(c: RequestContext): string[] {
  const entries = c.query.getAll('extrahosts').flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  for (const e of entries) if (e.search(/[:=]/) <= 0) throw invalid(`invalid extra host "${e}": expected "name:ip"`);
  return entries;
}

async function buildRoute(c: RequestContext, service: ImageServiceImpl): Promise<void> {
  await service.whenReady();
  if (c.query.get('remote')) throw invalid('building from a remote context is not supported by the bundled engine');
  const tags = c.query.getAll('t').map((t) => canonicalName(parseReference(t)));
  const buildArgs = Object.fromEntries(Object.entries(jsonParam<Record<string, string | null>>(c, 'buildargs', {})).filter(([, v]) => v !== null)) as Record<string, string>;
  const labels = jsonParam<Record<string, string>>(c, 'labels', {});
  const quiet = queryBool(c.query, 'q');
  const takeBuildSession = takeSession(c.query.get('tscsession'));
  // RUN steps: a namespace of their own on the default bridge unless the build asks for another network
  const network = c.query.get('networkmode') || 'default';
  const extraHosts = buildExtraHosts(c);
  await service.runner.checkNetwork?.(network);
  const send = startJsonStream(c.res);
  const paths = service.ctx.paths;
  let context;
  try {
    context = await receiveContext(c.req, paths.tmp, c.query.get('dockerfile') || 'Dockerfile');
    const session = takeBuildSession();
    const builder = new Builder({
      store: service.store, runner: service.runner, cacheDir: paths.buildCache, tmpDir: paths.tmp,
      emit: (msg) => { if (!quiet || msg.aux || msg.error) send(msg); },
    }, {
      contextDir: context.dir, dockerfileText: context.dockerfileText, ignored: context.ignored, tags, buildArgs, labels,
      target: c.query.get('target') || undefined,
      registryCredentials: (domain) => fromRegistryConfigHeader(c.req.headers['x-registry-config'] as string | undefined, domain), noCache: queryBool(c.query, 'nocache'), network, extraHosts,
      ...(session ? { secrets: session.secrets, ssh: session.ssh, namedContexts: session.contexts } : {}),
    });
    const image = await builder.build();
    if (quiet) send({ stream: `${image.id}\n` });
    for (const t of tags) service.publish('tag', image.id, familiarName(t));
  } catch (err) {
    streamError(send, err);
  } finally {
    await context?.dispose();
    c.res.end();
  }
}

export const buildRoutes: ImageRouteModule = {
  register(router, service) {
    router.add('POST', '/build', (c) => buildRoute(c, service));
    router.add('POST', '/tscompose/build-secrets', async (c) => {
      sendJson(c.res, 201, { Session: createSession(await readJson(c.req)) });
    });
    router.add('POST', '/build/prune', async (c) => {
      const n = await new BuildCache(service.ctx.paths.buildCache, service.store).prune();
      sendJson(c.res, 200, { CachesDeleted: [], SpaceReclaimed: 0, EntriesDeleted: n });
    });
  },
};
