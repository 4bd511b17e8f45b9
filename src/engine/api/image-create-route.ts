// POST /images/create: `fromSrc` imports a rootfs tarball (the request body or a URL), `fromImage` pulls
// from a registry with Docker's JSON progress stream.
import type { ImageManagement } from '../contracts.js';
import { invalid } from '../errors.js';
import { fromRegistryAuthHeader } from '../../registry/credentials.js';
import { parseReference, type ImageReference } from '../images/reference.js';
import { startJsonStream, streamError } from './http.js';
import type { RequestContext, Router } from './router.js';

export function registerImageCreateRoute(router: Router, images: ImageManagement): void {
  router.add('POST', '/images/create', async (c) => {
    if (c.query.get('fromSrc')) return importRoute(c, images);
    if (c.query.get('fromImage')) return pullRoute(c, images);
    throw invalid('fromImage or fromSrc is required');
  });
}

async function importRoute(c: RequestContext, images: ImageManagement): Promise<void> {
  const src = c.query.get('fromSrc');
  if (src !== '-' && !/^https?:\/\//.test(src ?? '')) throw invalid('fromSrc must be "-" (the request body) or an http(s) URL');
  const repo = c.query.get('repo');
  const image = await images.importImage({
    source: src === '-' ? c.req : src!,
    name: repo ? repo + (c.query.get('tag') ? `:${c.query.get('tag')}` : '') : undefined,
    message: c.query.get('message') ?? undefined,
    changes: c.query.getAll('changes'),
  });
  const send = startJsonStream(c.res);
  send({ status: image.id });
  c.res.end();
}

async function pullRoute(c: RequestContext, images: ImageManagement): Promise<void> {
  const fromImage = c.query.get('fromImage')!;
  const tag = c.query.get('tag');
  // `tag` may carry a digest (docker CLI: fromImage=x&tag=sha256:…) or a tag
  const raw = tag ? (tag.startsWith('sha256:') ? `${fromImage}@${tag}` : `${fromImage}:${tag}`) : fromImage;
  let ref: ImageReference;
  try {
    ref = parseReference(raw);
  } catch {
    throw invalid(`invalid reference format: ${raw}`);
  }
  const credentials = fromRegistryAuthHeader(c.req.headers['x-registry-auth'] as string | undefined);
  // the stream starts with the first progress message: errors before it (no such manifest, auth) get a real HTTP status
  let send: ((msg: Record<string, unknown>) => void) | undefined;
  const progress = (msg: Record<string, unknown>) => {
    (send ??= startJsonStream(c.res))(msg);
  };
  try {
    const result = await images.pull(ref, credentials, progress);
    progress({ status: `Digest: ${result.digest}` });
    progress({ status: `Status: ${result.upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${result.name}` });
  } catch (err) {
    if (!send) throw err;
    streamError(send, err);
  }
  c.res.end();
}
