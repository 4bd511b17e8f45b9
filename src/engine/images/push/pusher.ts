// Pushing an image: each layer and the config uploaded unless the registry has it (HEAD), then the
// manifest under the tag. Layers stored uncompressed (built, committed, imported, loaded) are sent
// gzip-compressed, as Docker sends them, and the manifest pushed names those blobs; layers pulled
// compressed and the manifest of an image without uncompressed layers go as stored. Progress is Docker's
// JSON stream: "Preparing", "Pushing", "Pushed" or "Layer already exists" per layer, then
// "<tag>: digest: … size: …" and the aux record.
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { digestHex, HashingStream, sha256 } from '../blobs.js';
import { type Descriptor, MediaType } from '../oci.js';
import { familiarName, type ImageReference, repositoryName } from '../reference.js';
import type { ImageStore, StoredImage } from '../store.js';
import type { Credentials } from '../../../registry/credentials.js';
import type { Progress } from '../pull/puller.js';
import { RegistryClient, RegistryError } from '../pull/registry-client.js';
import { inParallel } from '../../../concurrency.js';
import type { CompressedLayers } from './compressed-layers.js';

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

/** The media type a layer stored uncompressed is pushed under, gzip-compressed */
const GZIP_MEDIA_TYPE: Record<string, string> = {
  [MediaType.ociLayer]: MediaType.ociLayerGzip,
  [MediaType.dockerLayer]: MediaType.dockerLayerGzip,
};

/** POST opens an upload session (and authenticates, with no body to resend); its location, on the registry. */
async function openUpload(client: RegistryClient, repository: string, digest: string): Promise<URL> {
  const start = await client.request(`${repository}/blobs/uploads/`, {}, { method: 'POST' });
  if (start.status !== 202) throw new RegistryError('upstream', `upload of ${digest} refused: ${await errorText(start)}`);
  await start.body?.cancel();
  return uploadLocation(client, start);
}

function uploadLocation(client: RegistryClient, res: Response): URL {
  const location = res.headers.get('location');
  if (!location) throw new RegistryError('upstream', 'the registry opened an upload without a location');
  return new URL(location, client.origin);
}

/** One monolithic upload: POST opens the session, PUT sends the bytes with the digest. */
async function uploadBlob(
  client: RegistryClient,
  repository: string,
  store: ImageStore,
  d: Descriptor,
  onProgress: (sent: number) => void,
): Promise<void> {
  const url = await openUpload(client, repository, d.digest);
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

/** Uploads layer `d` gzip-compressed, in one pass as Docker does: a streamed PATCH carries the compressed bytes
 *  while they are hashed, then PUT closes the session with their digest. `onProgress` counts the layer's bytes. */
async function uploadCompressed(
  client: RegistryClient,
  repository: string,
  store: ImageStore,
  d: Descriptor,
  onProgress: (read: number) => void,
): Promise<Pick<Descriptor, 'digest' | 'size'>> {
  const url = await openUpload(client, repository, d.digest);
  const source = store.blobs.stream(d.digest);
  const gzip = createGzip();
  const hashed = new HashingStream();
  let read = 0;
  source.on('data', (chunk: Buffer) => {
    read += chunk.length;
    onProgress(read);
  });
  // a failure anywhere ends the request body with it
  source.on('error', (err) => hashed.destroy(err));
  gzip.on('error', (err) => hashed.destroy(err));
  source.pipe(gzip).pipe(hashed);
  const sent = await client.request(
    url.href,
    { 'Content-Type': 'application/octet-stream' },
    { method: 'PATCH', body: Readable.toWeb(hashed) as ReadableStream<Uint8Array> },
  );
  if (sent.status !== 202) throw new RegistryError('upstream', `upload of ${d.digest} failed: ${await errorText(sent)}`);
  await sent.body?.cancel();
  const compressed = { digest: hashed.digest(), size: hashed.size };
  const close = uploadLocation(client, sent);
  close.searchParams.set('digest', compressed.digest);
  const res = await client.request(close.href, { 'Content-Length': '0' }, { method: 'PUT' });
  if (res.status !== 201) throw new RegistryError('upstream', `upload of ${d.digest} failed: ${await errorText(res)}`);
  await res.body?.cancel();
  return compressed;
}

/** Pushes `image` as `ref` (whose tag names it in the registry). `compressed` remembers the blobs that layers
 *  stored uncompressed became, so a layer is compressed once per registry content, not on every push. */
export async function pushImage(
  store: ImageStore,
  image: StoredImage,
  ref: ImageReference,
  creds: Credentials | undefined,
  progress: Progress,
  compressed: CompressedLayers,
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
  /** the descriptor each layer has in the registry, when it differs from the stored one */
  const pushedAs = new Map<Descriptor, Descriptor>();
  await inParallel(blobs, PARALLEL_UPLOADS, async (d) => {
    const id = shortId(d.digest);
    const isLayer = d !== image.manifest.config;
    const gzipType = isLayer ? GZIP_MEDIA_TYPE[d.mediaType] : undefined;
    const known = gzipType ? await compressed.get(d.digest) : undefined;
    if (gzipType && known) pushedAs.set(d, { ...d, mediaType: gzipType, ...known });
    if (await blobExists(client, ref.path, known?.digest ?? d.digest)) {
      if (isLayer) progress({ status: 'Layer already exists', progressDetail: {}, id });
      return;
    }
    let last = 0;
    const onProgress = (sent: number) => {
      if (!isLayer || (sent - last < 512 * 1024 && sent < d.size)) return;
      last = sent;
      progress({ status: 'Pushing', progressDetail: { current: sent, total: d.size }, id });
    };
    if (gzipType) {
      const blob = await uploadCompressed(client, ref.path, store, d, onProgress);
      await compressed.set(d.digest, blob);
      pushedAs.set(d, { ...d, mediaType: gzipType, ...blob });
    } else await uploadBlob(client, ref.path, store, d, onProgress);
    if (isLayer) progress({ status: 'Pushed', progressDetail: {}, id });
  });

  const body = pushedAs.size
    ? Buffer.from(JSON.stringify({ ...image.manifest, layers: image.manifest.layers.map((l) => pushedAs.get(l) ?? l) }))
    : await store.blobs.read(image.manifestDigest);
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
