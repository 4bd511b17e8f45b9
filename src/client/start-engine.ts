// The bundled engine, made sure to be running before a command talks to it: when its socket does not answer
// /_ping, launch-engine.ts starts it. That module (child_process, the runtime check) is loaded only then, so a
// command finding the engine up loads none of it.
import { engineRequest } from './engine-http.js';

export async function pingEngine(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  try {
    await engineRequest({ socketPath }, { method: 'GET', path: '/_ping', timeoutMs });
    return true;
  } catch {
    return false;
  }
}

export async function ensureEngine(opts: { root: string; socket: string; timeoutMs?: number }): Promise<void> {
  if (await pingEngine(opts.socket)) return;
  const { startEngine } = await import('./launch-engine.js');
  await startEngine(opts);
}
