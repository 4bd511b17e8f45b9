// POST /images/create?fromImage=…&tag=…: registry pulls with Docker's JSON progress stream.
import type { RequestContext } from '../../api/router.js';
import { startJsonStream } from '../../api/http.js';
import { invalid } from '../../errors.js';
import { familiarName, parseReference } from '../reference.js';
import type { ImageServiceImpl } from '../service.js';
import { streamError } from '../service.js';
import { fromDockerConfig, fromRegistryAuthHeader } from './credentials.js';
import { pullImage } from './puller.js';

export async function pullRoute(c: RequestContext, service: ImageServiceImpl): Promise<void> {
  await service.whenReady();
  const fromImage = c.query.get('fromImage')!;
  const tag = c.query.get('tag');
  // `tag` may carry a digest (docker CLI: fromImage=x&tag=sha256:…) or a tag
  const raw = tag ? (tag.startsWith('sha256:') ? `${fromImage}@${tag}` : `${fromImage}:${tag}`) : fromImage;
  let ref;
  try { ref = parseReference(raw); } catch { throw invalid(`invalid reference format: ${raw}`); }
  const creds = fromRegistryAuthHeader(c.req.headers['x-registry-auth'] as string | undefined) ?? fromDockerConfig(ref.domain);
  // the stream starts with the first progress message: errors before it (no such manifest, auth) get a real HTTP status
  let send: ((msg: Record<string, unknown>) => void) | undefined;
  const progress = (msg: Record<string, unknown>) => { (send ??= startJsonStream(c.res))(msg); };
  try {
    const result = await pullImage(service.store, ref, creds, progress);
    progress({ status: `Digest: ${result.digest}` });
    progress({ status: `Status: ${result.upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${familiarName(result.name)}` });
    service.publish('pull', result.image.id, familiarName(result.name));
  } catch (err) {
    if (!send) throw err;
    streamError(send, err);
  }
  c.res.end();
}
