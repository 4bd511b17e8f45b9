// The API on a swarm (engine: 'swarm'): up() deploys the stack to the manager and waits until every
// task runs (healthy where there is a healthcheck), down() removes it, tasks() lists the replicas.
// Replicas are tasks on other nodes, so there are no container handles (exec, logs) to give.
import type Docker from 'dockerode';
import type { Project } from '../model/types.js';
import { silentProgress } from '../reconcile/index.js';
import { SwarmApi } from '../swarm/api.js';
import { localBuildEngine } from '../swarm/build-engine.js';
import { deployStack } from '../swarm/deploy.js';
import { buildAndPush } from '../swarm/images.js';
import { removeStack } from '../swarm/remove.js';
import { nodeNames, taskRows } from '../swarm/tasks.js';

export interface SwarmTaskInfo {
  /** "<service>.<slot>" (replicated) or "<service>.<node id>" (global) */
  name: string;
  service: string;
  node: string;
  desiredState: string;
  /** as `docker service ps` words it: "Running 5 seconds ago" */
  currentState: string;
  error: string;
}

export async function deployToSwarm(
  docker: Docker,
  project: Project,
  opts: { services?: string[]; build?: boolean; scale?: Record<string, number>; wait: boolean; timeoutMs: number },
): Promise<void> {
  const services = opts.services ?? [];
  const pinnedImages = opts.build ? await buildAndPush(await localBuildEngine(), project, services, silentProgress) : undefined;
  await deployStack(new SwarmApi(docker), project, {
    services,
    scale: opts.scale,
    wait: opts.wait,
    waitTimeoutSeconds: Math.max(1, Math.ceil(opts.timeoutMs / 1000)),
    pinnedImages,
    report: () => {},
  });
}

export async function removeFromSwarm(docker: Docker, project: string, opts: { volumes: boolean }): Promise<void> {
  await removeStack(new SwarmApi(docker), project, { volumes: opts.volumes, report: () => {} });
}

export async function swarmTasks(docker: Docker, project: string, service?: string): Promise<SwarmTaskInfo[]> {
  const api = new SwarmApi(docker);
  const services = (await api.services(project)).filter((s) => service === undefined || s.Spec?.Name === `${project}_${service}`);
  if (!services.length) return [];
  const [tasks, nodes] = await Promise.all([api.tasks({ service: services.map((s) => s.ID) }), api.nodes()]);
  return taskRows(project, services, tasks, nodeNames(nodes)).map((r) => ({
    name: r.name.slice(project.length + 1),
    service: r.service,
    node: r.node,
    desiredState: r.desired,
    currentState: r.current,
    error: r.error,
  }));
}
