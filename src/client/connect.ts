// Picks the engine a command talks to and returns a client for it (an EngineClient, and the dockerode
// client under it for the API's users).
// --engine docker (or DOCKER_HOST without --engine) = an existing Docker Engine;
// --engine swarm = the Docker Engine at DOCKER_HOST, which must manage an active swarm (src/swarm/);
// otherwise the bundled engine, started in the background when its socket does not answer.
import Docker from 'dockerode';
import { UserError } from '../errors.js';
import { DEFAULT_SOCKET, DEFAULT_STATE_ROOT } from '../engine/paths.js';
import { ensureEngine } from './start-engine.js';
import type { EngineClient } from './engine-client.js';
import { dockerEngineClient } from './docker-engine-client.js';

export type EngineKind = 'bundled' | 'docker' | 'swarm';

export interface EngineConnection {
  engine: EngineClient;
  docker: Docker;
  kind: EngineKind;
  socketPath?: string;
}

export function chooseEngine(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): EngineKind {
  const choice = flag ?? env.TSCOMPOSE_ENGINE ?? (env.DOCKER_HOST ? 'docker' : 'bundled');
  if (choice !== 'bundled' && choice !== 'docker' && choice !== 'swarm')
    throw new UserError(`unknown engine "${choice}": use "bundled", "docker" or "swarm"`);
  return choice;
}

export async function connectEngine(opts: { engine?: string } = {}): Promise<EngineConnection> {
  const kind = chooseEngine(opts.engine);
  if (kind === 'swarm') {
    const docker = new Docker(); // honours DOCKER_HOST
    const { assertSwarmManager } = await import('../swarm/manager.js');
    await assertSwarmManager(docker, process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock');
    return { engine: dockerEngineClient(docker), docker, kind };
  }
  if (kind === 'docker') {
    const docker = new Docker(); // honours DOCKER_HOST, defaults to /var/run/docker.sock
    const engine = dockerEngineClient(docker);
    try {
      await engine.ping();
    } catch (err) {
      throw new UserError(
        `cannot reach the Docker Engine (${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}): ${(err as Error).message}`,
      );
    }
    return { engine, docker, kind };
  }
  const socketPath = process.env.TSCOMPOSE_ENGINE_SOCKET || DEFAULT_SOCKET;
  const root = process.env.TSCOMPOSE_STATE_ROOT || DEFAULT_STATE_ROOT;
  await ensureEngine({ root, socket: socketPath });
  const docker = new Docker({ socketPath });
  return { engine: dockerEngineClient(docker), docker, kind, socketPath };
}
