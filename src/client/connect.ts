// Picks the engine a command talks to and returns a client for it (an EngineClient, and a dockerode
// client for the API's users, loaded when asked for).
// --engine docker (or DOCKER_HOST without --engine) = an existing Docker Engine;
// --engine swarm = the Docker Engine at DOCKER_HOST, which must manage an active swarm (src/swarm/);
// otherwise the bundled engine, started in the background when its socket does not answer.
// On a unix socket or plain tcp:// the EngineClient makes its JSON calls over node:http and loads
// dockerode only for a streaming call; ssh:// and TLS hosts, and swarm, use dockerode for everything.
import type Docker from 'dockerode';
import { UserError } from '../errors.js';
import { DEFAULT_SOCKET, DEFAULT_STATE_ROOT } from '../engine/paths.js';
import { ensureEngine, pingEngine } from './start-engine.js';
import type { EngineClient } from './engine-client.js';
import { dockerHostEndpoint, type EngineEndpoint } from './engine-endpoint.js';
import { HttpEngineClient } from './http-engine-client.js';

export type EngineKind = 'bundled' | 'docker' | 'swarm';

export interface EngineConnection {
  engine: EngineClient;
  /** a dockerode client for the same engine (for what the EngineClient does not cover); dockerode is
   *  loaded on the first call */
  docker(): Promise<Docker>;
  kind: EngineKind;
  socketPath?: string;
}

export function chooseEngine(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): EngineKind {
  const choice = flag ?? env.TSCOMPOSE_ENGINE ?? (env.DOCKER_HOST ? 'docker' : 'bundled');
  if (choice !== 'bundled' && choice !== 'docker' && choice !== 'swarm')
    throw new UserError(`unknown engine "${choice}": use "bundled", "docker" or "swarm"`);
  return choice;
}

const loadDockerode = () => import('./dockerode-client.js');

/** One dockerode client per connection, created on first use (`socketPath` undefined: DOCKER_HOST). */
function lazyDockerode(socketPath?: string): () => Promise<Docker> {
  let docker: Promise<Docker> | undefined;
  return () => (docker ??= loadDockerode().then((m) => m.openDockerode(socketPath)));
}

/** The EngineClient for `endpoint`, or dockerode's for everything when there is none (ssh, TLS). */
function engineClient(endpoint: EngineEndpoint | undefined, docker: () => Promise<Docker>): Promise<EngineClient> | EngineClient {
  const streaming = async () => (await loadDockerode()).dockerodeEngineClient(await docker());
  return endpoint ? new HttpEngineClient(endpoint, streaming) : streaming();
}

const bundledSocket = () => process.env.TSCOMPOSE_ENGINE_SOCKET || DEFAULT_SOCKET;

/** Asks the bundled engine, when it is the one chosen, whether it answers (undefined for the other engines), so
 *  that a command can ask while it does something else and give the answer to connectEngine. Starts nothing. */
export function pingChosenEngine(engine?: string): Promise<boolean> | undefined {
  try {
    if (chooseEngine(engine) !== 'bundled') return undefined;
  } catch {
    return undefined; // connectEngine says why
  }
  return pingEngine(bundledSocket());
}

/** `bundledAnswered`: the bundled engine answered a ping just now (pingChosenEngine), so it need not be asked again. */
export async function connectEngine(opts: { engine?: string; bundledAnswered?: boolean } = {}): Promise<EngineConnection> {
  const kind = chooseEngine(opts.engine);
  if (kind === 'swarm') {
    const docker = lazyDockerode(); // honours DOCKER_HOST
    const [{ assertSwarmManager }, client] = await Promise.all([import('../swarm/manager.js'), docker()]);
    await assertSwarmManager(client, process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock');
    return { engine: await engineClient(undefined, docker), docker, kind };
  }
  if (kind === 'docker') {
    const docker = lazyDockerode(); // honours DOCKER_HOST, defaults to /var/run/docker.sock
    const engine = await engineClient(dockerHostEndpoint(), docker);
    try {
      await engine.ping();
    } catch (err) {
      throw new UserError(
        `cannot reach the Docker Engine (${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}): ${(err as Error).message}`,
      );
    }
    return { engine, docker, kind };
  }
  const socketPath = bundledSocket();
  const root = process.env.TSCOMPOSE_STATE_ROOT || DEFAULT_STATE_ROOT;
  if (!opts.bundledAnswered) await ensureEngine({ root, socket: socketPath });
  const docker = lazyDockerode(socketPath);
  return { engine: await engineClient({ socketPath }, docker), docker, kind, socketPath };
}
