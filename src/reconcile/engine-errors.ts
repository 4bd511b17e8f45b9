// Engine errors turned into one-paragraph messages that name the service.
import { UserError } from '../errors.js';

export { isNotFound, isNotModified, isConflict } from '../client/errors.js';

/** The engine's own wording of a failure (an EngineError's message is already without dockerode's prefix). */
export function engineMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string; reason?: string };
  return (e?.json?.message ?? e?.message ?? String(err)).replace(/^\(HTTP code \d+\) [a-z ]+- /, '').trim();
}

export function serviceError(service: string, doing: string, err: unknown): UserError {
  if (err instanceof UserError) return err;
  const msg = engineMessage(err);
  // only to word the message (which port, what to do): no status tells a taken port from other failures
  const port = /Bind for ([^ ]+) failed: port is already allocated|listen tcp4? ([^:]*:\d+): bind: address already in use/.exec(msg);
  if (port)
    return new UserError(
      `service "${service}": ${doing} failed because host port ${port[1] ?? port[2]} is already in use; free it or publish a different port (${msg})`,
    );
  return new UserError(`service "${service}": ${doing} failed: ${msg}`);
}
