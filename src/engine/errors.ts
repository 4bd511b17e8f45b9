// The kinds of failure the engine's services report, in the domain's terms. The API server maps each kind to an
// HTTP status once (api/http.ts), as containerd's errdefs are mapped to gRPC codes at its boundary; nothing below
// the API knows about HTTP. The kinds are moby's errdefs that the Docker Engine API distinguishes by status.
export type ErrorKind =
  'invalid' | 'unauthorized' | 'forbidden' | 'not-found' | 'conflict' | 'internal' | 'not-implemented' | 'upstream' | 'unavailable';

export class EngineError extends Error {
  constructor(
    public readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** The request cannot be right whatever the state (a malformed reference, an unknown option). */
export const invalid = (message: string) => new EngineError('invalid', message);
/** The request is understood and refused in this state by a rule of the engine (a pre-defined network, a duplicate endpoint). */
export const forbidden = (message: string) => new EngineError('forbidden', message);
export const notFound = (message: string) => new EngineError('not-found', message);
/** The object's current state conflicts with the request (a running container removed without force, a name in use). */
export const conflict = (message: string) => new EngineError('conflict', message);
/** The engine failed at something that should have worked (the host's resources, a runtime error). */
export const internal = (message: string) => new EngineError('internal', message);
export const notImplemented = (message: string) => new EngineError('not-implemented', message);
/** A remote the engine depends on (a registry) failed or answered nonsense. */
export const upstream = (message: string) => new EngineError('upstream', message);
export const unavailable = (message: string) => new EngineError('unavailable', message);

export const isEngineError = (err: unknown, kind?: ErrorKind): err is EngineError =>
  err instanceof EngineError && (kind === undefined || err.kind === kind);
