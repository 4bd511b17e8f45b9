// Picks the engine a command talks to and returns a dockerode client for it.
// --engine docker (or DOCKER_HOST without --engine) = an existing Docker Engine;
// otherwise the bundled engine, started in the background when its socket does not answer.
import Docker from 'dockerode';
import { UserError } from '../errors.js';

export type EngineKind = 'bundled' | 'docker';

export interface EngineConnection { docker: Docker; kind: EngineKind; socketPath?: string }

export function chooseEngine(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): EngineKind {
  const choice = flag ?? env.TSCOMPOSE_ENGINE ?? (env.DOCKER_HOST ? 'docker' : 'bundled');
  if (choice !== 'bundled' && choice !== 'docker') throw new UserError(`unknown engine "${choice}": use "bundled" or "docker"`);
  return choice;
}

export async function connectEngine(opts: { engine?: string } = {}): Promise<EngineConnection> {
  const kind = chooseEngine(opts.engine);
  if (kind === 'docker') {
    const docker = new Docker(); // honours DOCKER_HOST, defaults to /var/run/docker.sock
    try { await docker.ping(); } catch (err) {
      throw new UserError(`cannot reach the Docker Engine (${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}): ${(err as Error).message}`);
    }
    return { docker, kind };
  }
  throw new UserError('the bundled engine is not available yet: use --engine docker');
}
