// What went wrong in an engine call, as a kind the client side can act on. An engine's answer is
// mapped to a kind once, from its HTTP status (and a transport failure's code), where the engine
// client meets the wire; everything above tests kinds, never the wording of a message.

export type EngineErrorKind =
  /** the object (container, image, network, volume, exec, route) does not exist */
  | 'not-found'
  /** it exists but is in a state that forbids the call (name in use, removal in progress, running) */
  | 'conflict'
  /** the request itself is wrong (bad parameter, bad body) */
  | 'invalid'
  /** the engine refuses this caller */
  | 'forbidden'
  /** nothing to do: already started, already stopped (Docker's 304) */
  | 'not-modified'
  /** the engine could not be reached, or said it cannot serve now */
  | 'unavailable'
  /** the engine failed for a reason of its own */
  | 'internal';

export class EngineError extends Error {
  constructor(
    readonly kind: EngineErrorKind,
    message: string,
    /** the HTTP status, when the engine answered */
    readonly statusCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineError';
  }
}

/** The kind an HTTP status stands for in the Docker Engine API. */
export function kindOfStatus(status: number): EngineErrorKind {
  if (status === 304) return 'not-modified';
  if (status === 400 || status === 422) return 'invalid';
  if (status === 401 || status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 503 || status === 502 || status === 504) return 'unavailable';
  return 'internal';
}

// socket-level failures: the engine is not there, or went away mid-call
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

interface WireError {
  statusCode?: unknown;
  json?: unknown;
  code?: unknown;
  message?: unknown;
}

/** Docker's error body is {"message": "…"}; dockerode keeps it as `json` and prefixes its own message
 *  with "(HTTP code N) reason - ", which is not the engine's wording and is dropped here. */
function engineWording(e: WireError): string {
  const body = e.json as { message?: unknown } | string | null | undefined;
  if (body && typeof body === 'object' && typeof body.message === 'string') return body.message.trim();
  if (typeof body === 'string' && body.trim()) return body.trim();
  return String(e.message ?? e)
    .replace(/^\(HTTP code \d+\) [a-z ]+- /, '')
    .trim();
}

/** Turns whatever an engine call threw into an EngineError (an EngineError, or an error that is not the
 *  engine's, e.g. a bug or a UserError, is returned as it is). */
export function toEngineError(err: unknown): unknown {
  if (err instanceof EngineError || !err || typeof err !== 'object') return err;
  const e = err as WireError;
  if (typeof e.statusCode === 'number') return new EngineError(kindOfStatus(e.statusCode), engineWording(e), e.statusCode, { cause: err });
  if (e.code === 'EACCES') return new EngineError('forbidden', String(e.message ?? e.code), undefined, { cause: err }); // the socket's permissions
  if (typeof e.code === 'string' && UNREACHABLE.has(e.code))
    return new EngineError('unavailable', String(e.message ?? e.code), undefined, { cause: err });
  return err;
}

export const isEngineError = (err: unknown, kind?: EngineErrorKind): err is EngineError =>
  err instanceof EngineError && (kind === undefined || err.kind === kind);

export const isNotFound = (err: unknown): boolean => isEngineError(err, 'not-found');
export const isNotModified = (err: unknown): boolean => isEngineError(err, 'not-modified');
export const isConflict = (err: unknown): boolean => isEngineError(err, 'conflict');
