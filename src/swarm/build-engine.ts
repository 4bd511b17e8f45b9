// Where `build`, `push` and `up --build` run with --engine swarm: an engine on this machine, not the
// swarm, since a manager builds nothing for its workers. TSCOMPOSE_BUILD_ENGINE picks it as --engine
// picks the engine on one machine: "bundled" (the default) or "docker" (the Docker Engine at DOCKER_HOST).
import type { EngineClient } from '../client/engine-client.js';
import { connectEngine } from '../client/connect.js';
import { UserError } from '../errors.js';

export function buildEngineKind(env: NodeJS.ProcessEnv = process.env): 'bundled' | 'docker' {
  const kind = env.TSCOMPOSE_BUILD_ENGINE || 'bundled';
  if (kind !== 'bundled' && kind !== 'docker')
    throw new UserError(
      `TSCOMPOSE_BUILD_ENGINE="${kind}": use "bundled" or "docker" (the engine that builds and pushes images for the swarm)`,
    );
  return kind;
}

export async function localBuildEngine(): Promise<EngineClient> {
  return (await connectEngine({ engine: buildEngineKind() })).engine;
}
