// Response helpers shared by every route module: Docker-style JSON bodies and errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EngineError, invalid, type ErrorKind } from '../errors.js';

/** The Docker Engine API status of each kind of engine failure: the one place kinds meet HTTP. */
const STATUS_OF: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  internal: 500,
  'not-implemented': 501,
  upstream: 502,
  unavailable: 503,
};
/** A thrown value's status: an engine error's kind, 500 for anything else (a bug, or a failure nobody classified). */
export const statusOf = (err: unknown): number => (err instanceof EngineError ? STATUS_OF[err.kind] : 500);

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { message });
}

export function sendNoContent(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

/** The body of an upgrade request (exec start, attach), which node leaves on the socket: taken off by the server. */
export const upgradeBodies = new WeakMap<IncomingMessage, Buffer>();

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const upgraded = upgradeBodies.get(req);
  if (upgraded) {
    req.resume();
    return upgraded;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function readJson<T = any>(req: IncomingMessage): Promise<T> {
  const body = await readBody(req);
  if (body.length === 0) return {} as T;
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw invalid('invalid JSON body');
  }
}

/** Docker's `filters` query parameter: {"label":["a=b"]} or the legacy {"label":{"a=b":true}} form. */
export function parseFilters(query: URLSearchParams): Record<string, string[]> {
  const raw = query.get('filters');
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid(`invalid filters: ${raw}`);
  }
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    out[k] = Array.isArray(v) ? v.map(String) : Object.keys(v as object);
  }
  return out;
}

/** Newline-delimited JSON progress stream (build, pull, load), as the docker CLI expects. */
export function startJsonStream(res: ServerResponse): (msg: Record<string, unknown>) => void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  return (msg) => {
    res.write(JSON.stringify(msg) + '\r\n');
  };
}

/** Writes an error into an already started JSON progress stream, as Docker does. */
export function streamError(send: (msg: Record<string, unknown>) => void, err: unknown): void {
  const message = err instanceof EngineError || err instanceof Error ? err.message : String(err);
  // a failed build step's exit code, as Docker's errorDetail.code (Node's own errors have string codes)
  const code = (err as { code?: unknown } | null)?.code;
  send({ errorDetail: { ...(typeof code === 'number' ? { code } : {}), message }, error: message });
}

export const queryBool = (q: URLSearchParams, key: string): boolean => {
  const v = q.get(key);
  return v === '1' || v === 'true' || v === 'True';
};
