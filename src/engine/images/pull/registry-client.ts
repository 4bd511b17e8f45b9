// An OCI distribution API client: anonymous or credentialed bearer tokens (WWW-Authenticate), basic
// auth, manifests by tag or digest, and resumable digest-verified blob downloads. Pushing (push/) uses
// the same client with the push scope.
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { EngineError } from '../../errors.js';
import { DigestMismatchError, sha256 } from '../blobs.js';
import { MediaType } from '../oci.js';
import type { Credentials } from '../../../registry/credentials.js';

const MANIFEST_ACCEPT = [MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.dockerManifest].join(', ');

export class RegistryError extends EngineError {}

const MAX_MANIFEST_BYTES = 4 << 20;

/** Registries reached over plain HTTP besides loopback ones, as dockerd's --insecure-registry: the
 *  engine's TSCOMPOSE_INSECURE_REGISTRIES, comma-separated host[:port] entries. */
export function insecureRegistries(env: NodeJS.ProcessEnv = process.env): Set<string> {
  return new Set(
    (env.TSCOMPOSE_INSECURE_REGISTRIES ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

export function registryBase(domain: string, insecure = insecureRegistries()): string {
  const host = domain === 'docker.io' ? 'registry-1.docker.io' : domain;
  // like Docker's insecure default for loopback registries
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
  return `${loopback || insecure.has(host) ? 'http' : 'https'}://${host}`;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (or Basic realm=…). */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^(\w+)\s*(.*)$/s.exec(header.trim());
  const params: Record<string, string> = {};
  for (const p of (m?.[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) params[p[1]!.toLowerCase()] = p[2]!;
  return { scheme: (m?.[1] ?? '').toLowerCase(), params };
}

export interface FetchedManifest {
  body: Buffer;
  mediaType: string;
  digest: string;
}

/** What a client is for: the token scope it asks for and the word its refusals use. */
export type RegistryAccess = 'pull' | 'push';

export interface RegistryRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | ReadableStream<Uint8Array>;
}

export class RegistryClient {
  private readonly base: string;
  private authorization?: string;

  constructor(
    private readonly domain: string,
    private readonly repository: string,
    private readonly creds?: Credentials,
    private readonly access: RegistryAccess = 'pull',
  ) {
    this.base = registryBase(domain);
  }

  /** The registry's origin: locations it answers (upload URLs) are only followed, with credentials, on it. */
  get origin(): string {
    return new URL(this.base).origin;
  }

  private denied(reason: string): RegistryError {
    return new RegistryError('unauthorized', `${this.access} access denied for ${this.domain}/${this.repository}: ${reason}`);
  }

  private basic(): string | undefined {
    return this.creds?.username
      ? 'Basic ' + Buffer.from(`${this.creds.username}:${this.creds.password ?? ''}`).toString('base64')
      : undefined;
  }

  /** A request that answers 401 challenges once (token fetch or basic credentials) and retries. `target` is a
   *  path under /v2/ or an absolute URL on the registry's origin (an upload location). A streamed body
   *  cannot be sent twice: authenticate with a body-less request first (push does). */
  async request(target: string, headers: Record<string, string> = {}, init: RegistryRequest = {}): Promise<Response> {
    const url = /^https?:\/\//.test(target) ? target : `${this.base}/v2/${target}`;
    if (new URL(url).origin !== this.origin)
      throw new RegistryError('upstream', `registry ${this.domain} sent a location on another host (${new URL(url).origin}): refused`);
    const send = () =>
      fetch(url, {
        method: init.method ?? 'GET',
        body: init.body,
        ...(init.body instanceof ReadableStream ? { duplex: 'half' } : {}),
        headers: { ...headers, ...init.headers, ...(this.authorization ? { Authorization: this.authorization } : {}) },
        redirect: init.method && init.method !== 'GET' && init.method !== 'HEAD' ? 'manual' : 'follow',
      } as RequestInit);
    let res: Response;
    try {
      res = await send();
    } catch (err) {
      throw new RegistryError(
        'upstream',
        `cannot reach registry ${this.domain}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`,
      );
    }
    if (res.status !== 401) return res;
    await res.body?.cancel();
    const challenge = parseChallenge(res.headers.get('www-authenticate') ?? '');
    if (challenge.scheme === 'bearer') this.authorization = `Bearer ${await this.token(challenge.params)}`;
    else if (challenge.scheme === 'basic' && this.basic()) this.authorization = this.basic();
    else throw this.denied('authentication required');
    if (init.body instanceof ReadableStream)
      throw new RegistryError('upstream', `registry ${this.domain} asked for credentials in the middle of an upload`);
    res = await send();
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw this.denied('unauthorized (check your credentials)');
    }
    return res;
  }

  private async token(params: Record<string, string>): Promise<string> {
    if (this.creds?.registryToken) return this.creds.registryToken;
    if (!params.realm) throw new RegistryError('unauthorized', `registry ${this.domain} sent a bearer challenge without a realm`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    // a push asks for pull and push whatever scope the challenge named (a /v2/ challenge names none)
    url.searchParams.set(
      'scope',
      this.access === 'push' ? `repository:${this.repository}:pull,push` : (params.scope ?? `repository:${this.repository}:pull`),
    );
    const headers: Record<string, string> = {};
    const basic = this.basic();
    if (basic) headers.Authorization = basic;
    const res = await fetch(url, { headers }).catch((err: Error) => {
      throw new RegistryError('upstream', `token request to ${url.origin} failed: ${err.message}`);
    });
    if (!res.ok) throw this.denied(`token server answered ${res.status}`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError('unauthorized', `token server for ${this.domain} returned no token`);
    return token;
  }

  async manifest(reference: string): Promise<FetchedManifest> {
    const res = await this.request(`${this.repository}/manifests/${reference}`, { Accept: MANIFEST_ACCEPT });
    if (res.status === 404) {
      await res.body?.cancel();
      throw new RegistryError('not-found', `manifest for ${this.domain}/${this.repository}:${reference} not found: manifest unknown`);
    }
    if (!res.ok) throw new RegistryError('upstream', `registry ${this.domain} answered ${res.status} for manifest ${reference}`);
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > MAX_MANIFEST_BYTES) throw new RegistryError('upstream', `manifest ${reference} is too large (${declared} bytes)`);
    const body = Buffer.from(await res.arrayBuffer());
    if (body.length > MAX_MANIFEST_BYTES) throw new RegistryError('upstream', `manifest ${reference} is too large (${body.length} bytes)`);
    const digest = sha256(body);
    if (reference.startsWith('sha256:') && reference !== digest) throw new DigestMismatchError(reference, digest);
    const mediaType =
      (JSON.parse(body.toString('utf8')) as { mediaType?: string }).mediaType ??
      res.headers.get('content-type')?.split(';')[0] ??
      MediaType.ociManifest;
    return { body, mediaType, digest };
  }

  /**
   * Downloads a blob into `file`, resuming with a Range request after a broken connection, and
   * verifies its digest. `onProgress` gets the bytes received so far.
   */
  async downloadBlob(digest: string, file: string, size: number, onProgress: (current: number) => void, attempts = 4): Promise<void> {
    let received = 0;
    let hash = createHash('sha256');
    await fs.writeFile(file, '');
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.request(`${this.repository}/blobs/${digest}`, received > 0 ? { Range: `bytes=${received}-` } : {});
        if (res.status === 404) {
          await res.body?.cancel();
          throw new RegistryError('not-found', `blob ${digest} not found in ${this.domain}/${this.repository}`);
        }
        if (!res.ok || !res.body) throw new Error(`registry answered ${res.status} for blob ${digest}`);
        if (received > 0 && res.status !== 206) {
          // no resume support: start over
          received = 0;
          hash = createHash('sha256');
          await fs.writeFile(file, '');
        }
        const out = createWriteStream(file, { flags: 'a', highWaterMark: 1 << 20 });
        try {
          for await (const chunk of res.body) {
            const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength); // a view, not a copy
            hash.update(buf);
            received += buf.length;
            if (size > 0 && received > size)
              throw new RegistryError('upstream', `blob ${digest} is larger than the ${size} bytes its descriptor declares`);
            if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
            onProgress(received);
          }
        } finally {
          await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        }
        if (size > 0 && received < size) throw new Error(`connection closed after ${received} of ${size} bytes`);
        break;
      } catch (err) {
        if (err instanceof RegistryError || attempt >= attempts) throw err;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
    const actual = 'sha256:' + hash.digest('hex');
    if (actual !== digest) throw new DigestMismatchError(digest, actual);
  }
}
