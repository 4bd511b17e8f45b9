// Pushing an image: each layer and the config uploaded unless the registry has it (HEAD), then the
// manifest as stored, under the tag. Progress is Docker's JSON stream: "Preparing", "Pushing",
// "Pushed" or "Layer already exists" per layer, then "<tag>: digest: … size: …" and the aux record.
import { Readable } from 'node:stream';
import { digestHex, sha256 } from '../blobs.js';
import { type Descriptor, MediaType } from '../oci.js';
import { familiarName, type ImageReference, repositoryName } from '../reference.js';
import type { ImageStore, StoredImage } from '../store.js';
import type { Credentials } from '../../../registry/credentials.js';
import type { Progress } from '../pull/puller.js';
import { RegistryClient, RegistryError } from '../pull/registry-client.js';
import { inParallel } from '../../../concurrency.js';

export interface PushResult {
  tag: string;
  digest: string;
  size: number;
}

const PARALLEL_UPLOADS = 3;
const shortId = (digest: string) => digestHex(digest).slice(0, 12);
/** a registry's error body, read only this far: it is untrusted */
const MAX_ERROR_BYTES = 4096;

async function errorText(res: Response): Promise<string> {
  const text = Buffer.from(await res.arrayBuffer())
    .subarray(0, MAX_ERROR_BYTES)
    .toString('utf8');
  try {
    const errors = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors ?? [];
    if (errors.length) return errors.map((e) => `${e.code ?? ''} ${e.message ?? ''}`.trim()).join('; ');
  } catch {
    /* not JSON */
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 200) || `status ${res.status}`;
}

async function blobExists(client: RegistryClient, repository: string, digest: string): Promise<boolean> {
  const res = await client.request(`${repository}/blobs/${digest}`, {}, { method: 'HEAD' });
  await res.body?.cancel();
  if (res.status === 200) return true;
  if (res.status === 404) return false;
  throw new RegistryError('upstream', `registry answered ${res.status} when asked for blob ${digest}`);
}

/** One monolithic upload: POST opens the session (and authenticates), PUT sends the bytes with the digest. */
async function uploadBlob(
  client: RegistryClient,
  repository: string,
  store: ImageStore,
  d: Descriptor,
  onProgress: (sent: number) => void,
): Promise<void> {
  const start = await client.request(`${repository}/blobs/uploads/`, {}, { method: 'POST' });
  if (start.status !== 202) throw new RegistryError('upstream', `upload of ${d.digest} refused: ${await errorText(start)}`);
  await start.body?.cancel();
  const location = start.headers.get('location');
  if (!location) throw new RegistryError('upstream', 'the registry opened an upload without a location');
  const url = new URL(location, client.origin);
  url.searchParams.set('digest', d.digest);
  const size = await store.blobs.size(d.digest);
  let sent = 0;
  const source = store.blobs.stream(d.digest);
  source.on('data', (chunk: Buffer) => {
    sent += chunk.length;
    onProgress(sent);
  });
  const res = await client.request(
    url.href,
    { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
    { method: 'PUT', body: Readable.toWeb(source) as ReadableStream<Uint8Array> },
  );
  if (res.status !== 201) throw new RegistryError('upstream', `upload of ${d.digest} failed: ${await errorText(res)}`);
  await res.body?.cancel();
}

/** Pushes `image` as `ref` (whose tag names it in the registry). */
export async function pushImage(
  store: ImageStore,
  image: StoredImage,
  ref: ImageReference,
  creds: Credentials | undefined,
  progress: Progress,
): Promise<PushResult> {
  const tag = ref.tag ?? 'latest';
  const client = new RegistryClient(ref.domain, ref.path, creds, 'push');
  progress({ status: `The push refers to repository [${familiarName(repositoryName(ref))}]` });
  const blobs = [...image.manifest.layers, image.manifest.config];
  for (const d of blobs) {
    if (!(await store.blobs.has(d.digest)))
      throw new RegistryError(
        'not-found',
        `the blob ${d.digest} of ${familiarName(image.names[0] ?? image.id)} is not in the store: it cannot be pushed`,
      );
  }
  for (const l of image.manifest.layers) progress({ status: 'Preparing', progressDetail: {}, id: shortId(l.digest) });
  await inParallel(blobs, PARALLEL_UPLOADS, async (d) => {
    const id = shortId(d.digest);
    const isLayer = d !== image.manifest.config;
    if (await blobExists(client, ref.path, d.digest)) {
      if (isLayer) progress({ status: 'Layer already exists', progressDetail: {}, id });
      return;
    }
    let last = 0;
    await uploadBlob(client, ref.path, store, d, (sent) => {
      if (!isLayer || (sent - last < 512 * 1024 && sent < d.size)) return;
      last = sent;
      progress({ status: 'Pushing', progressDetail: { current: sent, total: d.size }, id });
    });
    if (isLayer) progress({ status: 'Pushed', progressDetail: {}, id });
  });

  const body = await store.blobs.read(image.manifestDigest);
  const digest = sha256(body);
  const res = await client.request(
    `${ref.path}/manifests/${tag}`,
    { 'Content-Type': image.manifest.mediaType ?? MediaType.ociManifest },
    { method: 'PUT', body },
  );
  if (res.status !== 201)
    throw new RegistryError(
      'upstream',
      `the registry refused the manifest of ${familiarName(repositoryName(ref))}:${tag}: ${await errorText(res)}`,
    );
  await res.body?.cancel();
  progress({ status: `${tag}: digest: ${digest} size: ${body.length}`, progressDetail: {} });
  progress({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: body.length } });
  return { tag, digest, size: body.length };
}
