// Build secrets and SSH agent sockets for the bundled engine's builder.
//
// The Docker Engine API's classic /build has no secret transport (BuildKit uses a gRPC session), so the
// bundled engine takes them in a request of their own, before the build:
//   POST /tscompose/build-secrets  {"secrets": {"<id>": "<base64>"}, "ssh": {"<id>": "/path/to/agent.sock"}}
//   → {"Session": "<random token>"}
//   POST /build?…&tscsession=<token>
// The token is single-use and expires after a few minutes. Secrets stay in the engine's memory: never in the
// build context, a layer, the build cache keys, the history, the request URL or the engine's log; a RUN step
// sees one only through its secret mount (a file on a tmpfs, bound read-only) or env=.
import { randomBytes } from 'node:crypto';
import { invalid } from '../../errors.js';

export interface BuildSession {
  secrets: Map<string, Buffer>;
  ssh: Map<string, string>;
  /** named build contexts (build.additional_contexts): an absolute host directory or docker-image://ref */
  contexts: Map<string, string>;
}

const TTL_MS = 10 * 60_000;
const MAX_SECRET_BYTES = 500 * 1024; // BuildKit's limit for one secret
const sessions = new Map<string, { session: BuildSession; timer: NodeJS.Timeout }>();

const ID = /^[A-Za-z0-9_.-]{1,128}$/;

export function createSession(body: unknown): string {
  const b = (body ?? {}) as { secrets?: Record<string, unknown>; ssh?: Record<string, unknown>; contexts?: Record<string, unknown> };
  const session: BuildSession = { secrets: new Map(), ssh: new Map(), contexts: new Map() };
  for (const [id, value] of Object.entries(b.secrets ?? {})) {
    if (!ID.test(id) || typeof value !== 'string')
      throw invalid(`invalid build secret ${JSON.stringify(id)}: ids are letters, digits, "_", "." or "-", values base64 strings`);
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length > MAX_SECRET_BYTES) throw invalid(`build secret ${id} is larger than ${MAX_SECRET_BYTES} bytes`);
    session.secrets.set(id, bytes);
  }
  for (const [id, value] of Object.entries(b.ssh ?? {})) {
    if (!ID.test(id) || typeof value !== 'string' || !value.startsWith('/'))
      throw invalid(`invalid ssh entry ${JSON.stringify(id)}: an absolute path to an agent socket is expected`);
    session.ssh.set(id, value);
  }
  // the API socket is root's only, as containers' bind mounts of host paths are: a named directory context is read in place
  for (const [name, value] of Object.entries(b.contexts ?? {})) {
    if (
      !/^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/.test(name) ||
      typeof value !== 'string' ||
      !(value.startsWith('/') || value.startsWith('docker-image://'))
    ) {
      throw invalid(`invalid named context ${JSON.stringify(name)}: an absolute directory or docker-image://ref is expected`);
    }
    session.contexts.set(name, value);
  }
  const token = randomBytes(24).toString('hex');
  const timer = setTimeout(() => sessions.delete(token), TTL_MS);
  timer.unref();
  sessions.set(token, { session, timer });
  return token;
}

/**
 * The session a build names, consumed (a token works once). An unknown token gives a function that throws,
 * called once the request body was read: a build never runs without the secrets it was promised.
 */
export function takeSession(token: string | null): () => BuildSession | undefined {
  if (!token) return () => undefined;
  const entry = sessions.get(token);
  if (!entry)
    return () => {
      throw invalid('unknown or expired build secrets session (tscsession)');
    };
  sessions.delete(token);
  clearTimeout(entry.timer);
  return () => entry.session;
}
