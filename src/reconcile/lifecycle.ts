// start, stop, restart, kill, pause, unpause, rm on a project's existing containers.
import type { ReconcileContext } from './context.js';
import { observeContainers, type ObservedContainer } from './observed.js';
import { removeContainer, startContainer, stopContainer, stopTimeout } from './containers.js';
import { serviceLevels } from './levels.js';
import { engineMessage, isNotModified } from './engine-errors.js';
import { UserError } from '../errors.js';

export type LifecycleVerb = 'start' | 'stop' | 'restart' | 'kill' | 'pause' | 'unpause' | 'rm';

export interface LifecycleOptions {
  timeout?: number;
  signal?: string;
  removeVolumes?: boolean;
  force?: boolean;
  stopFirst?: boolean;
}

const DONE: Record<LifecycleVerb, [string, string]> = {
  start: ['Starting', 'Started'],
  stop: ['Stopping', 'Stopped'],
  restart: ['Restarting', 'Restarted'],
  kill: ['Killing', 'Killed'],
  pause: ['Pausing', 'Paused'],
  unpause: ['Unpausing', 'Unpaused'],
  rm: ['Removing', 'Removed'],
};

/** The project's (non one-off) containers of the named services, all when none are named. */
export async function projectContainers(ctx: ReconcileContext, services: string[] = [], all = true): Promise<ObservedContainer[]> {
  for (const s of services) if (!ctx.project.services[s]) throw new UserError(`no such service: "${s}"`);
  const list = await observeContainers(ctx.engine, ctx.project.name, { all, oneoff: false });
  return services.length ? list.filter((c) => services.includes(c.service)) : list;
}

function ordered(ctx: ReconcileContext, containers: ObservedContainer[], reverse: boolean): ObservedContainer[][] {
  const services = [...new Set(containers.map((c) => c.service))].filter((s) => ctx.project.services[s]);
  const levels = serviceLevels(ctx.project, services);
  if (reverse) levels.reverse();
  const groups = levels.map((l) => containers.filter((c) => l.includes(c.service)));
  groups.push(containers.filter((c) => !ctx.project.services[c.service]));
  return groups.filter((g) => g.length);
}

export async function runLifecycle(
  ctx: ReconcileContext,
  verb: LifecycleVerb,
  services: string[] = [],
  opts: LifecycleOptions = {},
): Promise<ObservedContainer[]> {
  const { engine, project, progress } = ctx;
  let targets = await projectContainers(ctx, services);
  if (verb === 'rm') targets = targets.filter((c) => c.state !== 'running' || opts.stopFirst);
  if (verb === 'kill' || verb === 'pause' || verb === 'stop')
    targets = targets.filter((c) => c.state === 'running' || (verb === 'stop' && c.state === 'paused'));
  if (verb === 'unpause') targets = targets.filter((c) => c.state === 'paused');
  const reverse = verb !== 'start' && verb !== 'unpause' && verb !== 'restart';
  for (const group of ordered(ctx, targets, reverse)) {
    await Promise.all(
      group.map(async (c) => {
        const service = project.services[c.service];
        const [doing, done] = DONE[verb];
        progress.update('Container', c.name, doing);
        try {
          switch (verb) {
            case 'start':
              await startContainer(engine, c.service, c.id, c.name);
              break;
            case 'stop':
              await stopContainer(engine, c.id, stopTimeout(service, opts.timeout));
              break;
            case 'restart':
              await engine.restartContainer(c.id, opts.timeout);
              break;
            case 'kill':
              await engine.killContainer(c.id, opts.signal ?? 'SIGKILL');
              break;
            case 'pause':
              await engine.pauseContainer(c.id);
              break;
            case 'unpause':
              await engine.unpauseContainer(c.id);
              break;
            case 'rm':
              if (opts.stopFirst) await stopContainer(engine, c.id, stopTimeout(service, opts.timeout));
              await removeContainer(engine, c.id, opts.removeVolumes);
              break;
          }
        } catch (err) {
          if (isNotModified(err)) {
            progress.update('Container', c.name, done, true);
            return;
          }
          progress.fail('Container', c.name, engineMessage(err));
          throw err instanceof UserError ? err : new UserError(`service "${c.service}": ${verb} ${c.name} failed: ${engineMessage(err)}`);
        }
        progress.update('Container', c.name, done, true);
      }),
    );
  }
  return targets;
}
