// POST /build (the classic builder protocol), POST /build/prune and POST /tscompose/build-secrets, over
// the image subsystem's ImageBuilding.
import type { ImageBuilding } from '../contracts.js';
import { invalid } from '../errors.js';
import { fromRegistryConfigHeader } from '../../registry/credentials.js';
import { canonicalName, parseReference } from '../images/reference.js';
import { queryBool, readJson, sendJson, startJsonStream, streamError } from './http.js';
import type { RequestContext, Router } from './router.js';

export function registerBuildRoutes(router: Router, images: ImageBuilding): void {
  router.add('POST', '/build', (c) => buildRoute(c, images));
  // build secrets travel in a request of their own: see images/build/secrets.ts
  router.add('POST', '/tscompose/build-secrets', async (c) => {
    sendJson(c.res, 201, { Session: images.createBuildSession(await readJson(c.req)) });
  });
  router.add('POST', '/build/prune', async (c) => {
    const n = await images.pruneBuildCache();
    sendJson(c.res, 200, { CachesDeleted: [], SpaceReclaimed: 0, EntriesDeleted: n });
  });
}

function jsonParam<T>(c: RequestContext, key: string, fallback: T): T {
  const raw = c.query.get(key);
  if (!raw) return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw invalid(`invalid ${key}: ${raw}`);
  }
}

/** `extrahosts`: "name:ip" entries, one per parameter as the docker CLI sends them; a comma-separated
 *  list in one parameter is taken too. */
function buildExtraHosts(c: RequestContext): string[] {
  const entries = c.query
    .getAll('extrahosts')
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  for (const e of entries) if (e.search(/[:=]/) <= 0) throw invalid(`invalid extra host "${e}": expected "name:ip"`);
  return entries;
}

async function buildRoute(c: RequestContext, images: ImageBuilding): Promise<void> {
  if (c.query.get('remote')) throw invalid('building from a remote context is not supported by the bundled engine');
  const tags = c.query.getAll('t').map((t) => canonicalName(parseReference(t)));
  const buildArgs = Object.fromEntries(
    Object.entries(jsonParam<Record<string, string | null>>(c, 'buildargs', {})).filter(([, v]) => v !== null),
  ) as Record<string, string>;
  const labels = jsonParam<Record<string, string>>(c, 'labels', {});
  const quiet = queryBool(c.query, 'q');
  const session = images.claimBuildSession(c.query.get('tscsession'));
  // RUN steps: a namespace of their own on the default bridge unless the build asks for another network
  const network = c.query.get('networkmode') || 'default';
  const extraHosts = buildExtraHosts(c);
  await images.checkBuildNetwork(network);
  // the response starts with the build's first message: a build that fails before it (a Dockerfile that does not
  // parse, no Dockerfile in the context) is an error response with its status, as Docker answers it
  let stream: ((msg: Record<string, unknown>) => void) | undefined;
  const send = (msg: Record<string, unknown>): void => (stream ??= startJsonStream(c.res))(msg);
  try {
    const { imageId } = await images.build(
      {
        context: c.req,
        dockerfile: c.query.get('dockerfile') || 'Dockerfile',
        tags,
        buildArgs,
        labels,
        target: c.query.get('target') || undefined,
        noCache: queryBool(c.query, 'nocache'),
        network,
        extraHosts,
        ...(c.query.get('cachefrom') ? { cacheFrom: jsonParam<string[]>(c, 'cachefrom', []) } : {}),
        registryCredentials: (domain) => fromRegistryConfigHeader(c.req.headers['x-registry-config'] as string | undefined, domain),
        session,
      },
      (msg) => {
        if (!quiet || msg.aux || msg.error) send(msg);
      },
    );
    if (quiet) send({ stream: `${imageId}\n` });
  } catch (err) {
    if (!stream) throw err;
    streamError(send, err);
  } finally {
    if (stream) c.res.end();
  }
}
