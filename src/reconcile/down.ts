// `down`: stop and remove the project's containers (reverse graph order), then its networks,
// and with -v its named and anonymous volumes, with --rmi its images.
import type { ReconcileContext } from './context.js';
import { projectFilter } from '../labels.js';
import { observeContainers, type ObservedContainer } from './observed.js';
import { removeContainer, stopContainer, stopTimeout } from './containers.js';
import { serviceLevels } from './levels.js';
import { serviceImage } from './names.js';
import { lockProject } from './lock.js';
import { elapsed } from './progress.js';
import { engineMessage, isNotFound } from './engine-errors.js';

export interface DownOptions {
  volumes?: boolean;
  rmi?: 'all' | 'local';
  removeOrphans?: boolean;
  timeout?: number;
  dryRun?: boolean;
}

/** Containers grouped so dependents stop before their dependencies; unknown services go first. */
export function stopOrder(ctx: ReconcileContext, containers: ObservedContainer[]): ObservedContainer[][] {
  const known = Object.keys(ctx.project.services).filter((s) => containers.some((c) => c.service === s));
  const levels = serviceLevels(ctx.project, known).reverse();
  const unknown = containers.filter((c) => !ctx.project.services[c.service]);
  const groups = [unknown, ...levels.map((l) => containers.filter((c) => l.includes(c.service)))];
  return groups.filter((g) => g.length);
}

export async function downProject(ctx: ReconcileContext, opts: DownOptions = {}): Promise<string[]> {
  const { engine, project, progress } = ctx;
  const all = await observeContainers(engine, project.name);
  // a project known only by name (-p without a stack file) has no service list: take everything
  const byNameOnly = Object.keys(project.services).length === 0;
  const targets = all.filter((c) => byNameOnly || c.oneoff || project.services[c.service] || opts.removeOrphans);
  const networks = await engine.listNetworks(projectFilter(project.name));
  const volumes = opts.volumes ? await engine.listVolumes(projectFilter(project.name)) : [];
  if (opts.dryRun) {
    return [
      ...targets.map((c) => `Container ${c.name}  Stop and remove`),
      ...networks.map((n) => `Network ${n.Name}  Remove`),
      ...volumes.map((v) => `Volume ${v.Name}  Remove`),
    ];
  }
  const lock = await lockProject(ctx.engineKey, project.name);
  try {
    for (const group of stopOrder(ctx, targets)) {
      await Promise.all(
        group.map(async (c) => {
          const t = Date.now();
          progress.update('Container', c.name, 'Stopping');
          await stopContainer(engine, c.id, stopTimeout(project.services[c.service], opts.timeout));
          progress.update('Container', c.name, 'Removing');
          await removeContainer(engine, c.id, opts.volumes);
          progress.update('Container', c.name, `Removed ${elapsed(t)}`, true);
        }),
      );
    }
    const remaining = all.length - targets.length;
    if (remaining > 0) progress.note(`Found orphan containers for this project; use --remove-orphans to remove them.`);
    await Promise.all(
      networks.map(async (n) => {
        progress.update('Network', n.Name, 'Removing');
        try {
          await engine.removeNetwork(n.Id);
        } catch (err) {
          if (!isNotFound(err)) {
            progress.fail('Network', n.Name, engineMessage(err));
            return;
          }
        }
        progress.update('Network', n.Name, 'Removed', true);
      }),
    );
    await Promise.all(
      volumes.map(async (v) => {
        progress.update('Volume', v.Name, 'Removing');
        try {
          await engine.removeVolume(v.Name);
        } catch (err) {
          if (!isNotFound(err)) {
            progress.fail('Volume', v.Name, engineMessage(err));
            return;
          }
        }
        progress.update('Volume', v.Name, 'Removed', true);
      }),
    );
    if (opts.rmi) await removeImages(ctx, opts.rmi);
    return [];
  } finally {
    lock.release();
  }
}

async function removeImages(ctx: ReconcileContext, mode: 'all' | 'local'): Promise<void> {
  const refs = new Set<string>();
  for (const s of Object.values(ctx.project.services)) {
    if (mode === 'local' && s.image) continue;
    refs.add(serviceImage(ctx.project.name, s));
  }
  await Promise.all(
    [...refs].map(async (ref) => {
      try {
        await ctx.engine.removeImage(ref);
        ctx.progress.update('Image', ref, 'Removed', true);
      } catch (err) {
        if (!isNotFound(err)) ctx.progress.fail('Image', ref, engineMessage(err));
      }
    }),
  );
}
