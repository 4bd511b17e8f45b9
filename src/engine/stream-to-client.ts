// Streaming a tar that is still being produced (a tar of a container path, a `docker save` archive) to a
// client that may go away at any moment.
import type { Writable } from 'node:stream';
import type { Pack } from 'tar-stream';
import { pipeline } from 'node:stream/promises';

/**
 * Pipes `source` into `out` while `produce` writes into `source`. Settles when both are done, or as soon as
 * either fails: a client that goes away rejects here (never as an unhandled rejection, which would end the
 * engine) even if `produce` is left waiting on a destroyed stream, so locks the caller holds are released.
 */
export async function streamToClient(source: Pack, out: Writable, produce: () => Promise<void>): Promise<void> {
  const delivered = pipeline(source, out);
  const producing = produce().catch((err: unknown) => {
    source.destroy(err as Error);
    throw err;
  });
  await Promise.race([producing, delivered.then(() => producing)]);
  await delivered;
}
