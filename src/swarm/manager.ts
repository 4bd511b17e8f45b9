// The swarm engine is the manager at DOCKER_HOST: refuse early, with the reason, when it is not one.
import type Docker from 'dockerode';
import { UserError } from '../errors.js';

interface SwarmInfo {
  LocalNodeState?: string;
  ControlAvailable?: boolean;
  Error?: string;
  NodeID?: string;
}

/** Why `info.Swarm` does not describe a manager of an active swarm; undefined when it does. */
export function notAManagerReason(swarm: SwarmInfo | undefined): string | undefined {
  const state = swarm?.LocalNodeState || 'inactive';
  if (state !== 'active') {
    const hint = state === 'inactive' ? ': run "docker swarm init" there, or point DOCKER_HOST at a manager' : '';
    return `the engine is not part of an active swarm (state "${state}"${swarm?.Error ? `, ${swarm.Error}` : ''})${hint}`;
  }
  if (!swarm?.ControlAvailable) return 'the engine is a swarm worker, not a manager: point DOCKER_HOST at a manager node';
  return undefined;
}

export async function assertSwarmManager(docker: Docker, where: string): Promise<void> {
  let info: { Swarm?: SwarmInfo };
  try {
    info = (await docker.info()) as { Swarm?: SwarmInfo };
  } catch (err) {
    throw new UserError(`--engine swarm: cannot reach the Docker Engine at ${where}: ${(err as Error).message}`);
  }
  const reason = notAManagerReason(info.Swarm);
  if (reason) throw new UserError(`--engine swarm: ${where}: ${reason}`);
}
