// `up`: get images, observe, plan, then apply the plan level by level, in parallel within a level.
import { anonymousVolumes, inheritVolumes, type InheritedVolume } from './inherit-volumes.js';
import type { NetworkCreateBody } from '../client/engine-client.js';
import type { ReconcileContext } from './context.js';
import { ensureImages, type ImageOptions } from './images.js';
import { COMPOSE_VERSION_LABEL, LABEL } from '../labels.js';
import { observe, observeResources, type ObservedContainer } from './observed.js';
import { describePlan, planUp, type ContainerAction, type Plan, type PlanOptions } from './plan.js';
import { createContainer, removeContainer, startContainer, stopContainer, stopTimeout } from './containers.js';
import { unsupportedAtUp } from './container-spec.js';
import { waitForDependency, waitRunningOrHealthy } from './dependencies.js';
import { selectServices } from './levels.js';
import { serviceImage } from './names.js';
import { lockProject } from './lock.js';
import { elapsed } from './progress.js';
import { UserError } from '../errors.js';
import { engineMessage, isNotFound } from './engine-errors.js';

export interface UpOptions extends PlanOptions, ImageOptions {
  dryRun?: boolean;
  timeout?: number; // -t: seconds to stop containers being replaced
  wait?: boolean;
  waitTimeoutSeconds?: number;
}

export interface UpResult {
  plan: Plan;
  dryRun: string[];
}

export async function ensureNetworksAndVolumes(ctx: ReconcileContext, plan: Plan): Promise<void> {
  const { engine, project, progress } = ctx;
  await Promise.all(
    plan.networks.map(async (n) => {
      if (n.action === 'keep') return;
      if (n.action === 'external') {
        try {
          await engine.inspectNetwork(n.name);
        } catch (err) {
          if (!isNotFound(err)) throw err;
          throw new UserError(
            `network ${n.name} is declared external but does not exist; create it with "docker network create ${n.name}"`,
          );
        }
        return;
      }
      const def = project.networks[n.key];
      const t = Date.now();
      progress.update('Network', n.name, 'Creating');
      try {
        await engine.createNetwork({
          Name: n.name,
          CheckDuplicate: true,
          Driver: def?.driver ?? 'bridge',
          Options: def?.driverOpts ?? {},
          Internal: def?.internal ?? false,
          Attachable: def?.attachable ?? false,
          EnableIPv6: def?.enableIpv6 ?? false,
          ...(def?.ipam
            ? {
                IPAM: {
                  Driver: def.ipam.driver ?? 'default',
                  Config: def.ipam.config.map((c) => ({
                    Subnet: c.subnet,
                    Gateway: c.gateway,
                    IPRange: c.ipRange,
                    AuxiliaryAddresses: c.auxAddresses,
                  })),
                },
              }
            : {}),
          Labels: { ...(def?.labels ?? {}), [LABEL.project]: project.name, [LABEL.network]: n.key, [LABEL.version]: COMPOSE_VERSION_LABEL },
        } as NetworkCreateBody);
      } catch (err) {
        progress.fail('Network', n.name, engineMessage(err));
        throw new UserError(`network ${n.name} could not be created: ${engineMessage(err)}`);
      }
      progress.update('Network', n.name, `Created ${elapsed(t)}`, true);
    }),
  );
  await Promise.all(
    plan.volumes.map(async (v) => {
      if (v.action === 'keep') return;
      if (v.action === 'external') {
        try {
          await engine.inspectVolume(v.name);
        } catch (err) {
          if (!isNotFound(err)) throw err;
          throw new UserError(`volume ${v.name} is declared external but does not exist; create it with "docker volume create ${v.name}"`);
        }
        return;
      }
      const def = project.volumes[v.key];
      progress.update('Volume', v.name, 'Creating');
      await engine.createVolume({
        Name: v.name,
        Driver: def.driver ?? 'local',
        DriverOpts: def.driverOpts,
        Labels: { ...def.labels, [LABEL.project]: project.name, [LABEL.volume]: v.key, [LABEL.version]: COMPOSE_VERSION_LABEL },
      });
      progress.update('Volume', v.name, 'Created', true);
    }),
  );
}

/** Applies the container actions of the given plan, in graph order. */
export async function applyServices(ctx: ReconcileContext, plan: Plan, opts: UpOptions): Promise<void> {
  const { engine, project, progress } = ctx;
  const containerIds = new Map<string, string>();
  const observedByService = new Map<string, ObservedContainer[]>();
  for (const [svc, actions] of Object.entries(plan.services)) {
    observedByService.set(
      svc,
      actions.flatMap((a) => ('container' in a ? [a.container] : [])),
    );
  }
  const containerOf = (svc: string) => containerIds.get(svc) ?? observedByService.get(svc)?.[0]?.id;

  const applyOne = async (svcName: string, a: ContainerAction) => {
    const service = project.services[svcName];
    const t = Date.now();
    if (a.kind === 'keep') {
      progress.update('Container', a.container.name, 'Running', true);
      return;
    }
    if (a.kind === 'remove') {
      progress.update('Container', a.container.name, 'Stopping');
      await stopContainer(engine, a.container.id, stopTimeout(service, opts.timeout));
      await removeContainer(engine, a.container.id);
      progress.update('Container', a.container.name, `Removed ${elapsed(t)}`, true);
      return;
    }
    if (a.kind === 'start') {
      progress.update('Container', a.container.name, 'Starting');
      if (a.container.state === 'paused') await engine.unpauseContainer(a.container.id);
      else await startContainer(engine, svcName, a.container.id, a.container.name);
      containerIds.set(svcName, a.container.id);
      progress.update('Container', a.container.name, `Started ${elapsed(t)}`, true);
      return;
    }
    let inherited: InheritedVolume[] = [];
    if (a.kind === 'recreate') {
      progress.update('Container', a.container.name, 'Recreate');
      inherited = anonymousVolumes(await engine.inspectContainer(a.container.id).catch(() => undefined));
      await stopContainer(engine, a.container.id, stopTimeout(service, opts.timeout));
      await removeContainer(engine, a.container.id); // without its volumes: the anonymous ones go to the new container
    } else {
      progress.update('Container', a.name, 'Creating');
    }
    const created = await createContainer(
      ctx,
      { service, number: a.number, name: a.name, containerOf },
      inherited.length ? (spec) => inheritVolumes(spec, inherited) : undefined,
    );
    containerIds.set(svcName, created);
    const done = a.kind === 'recreate' ? 'Recreated' : 'Created';
    if (!plan.start) {
      progress.update('Container', a.name, `${done} ${elapsed(t)}`, true);
      return;
    }
    progress.update('Container', a.name, `${done}, starting`);
    try {
      await startContainer(engine, svcName, created, a.name);
    } catch (err) {
      // a container that never ran is removed so a rerun starts from a clean slate
      await removeContainer(engine, created);
      throw err;
    }
    progress.update('Container', a.name, `Started ${elapsed(t)}`, true);
  };

  const deadline = opts.waitTimeoutSeconds ? Date.now() + opts.waitTimeoutSeconds * 1000 : Infinity;
  for (const level of plan.levels) {
    await Promise.all(
      level.map(async (svcName) => {
        const service = project.services[svcName];
        const actions = plan.services[svcName];
        const needsStart = plan.start && actions.some((a) => a.kind !== 'keep' && a.kind !== 'remove');
        if (needsStart && !opts.noDeps) {
          await Promise.all(
            Object.entries(service.dependsOn).map(async ([dep, cond]) => {
              if (!project.services[dep]) {
                if (cond.required) throw new UserError(`service "${svcName}" depends on undefined service "${dep}"`);
                return;
              }
              // started by this very run (or kept running): nothing to wait for
              if (cond.condition === 'service_started' && plan.services[dep]?.some((x) => x.kind !== 'remove')) return;
              if (cond.condition !== 'service_started')
                progress.update('Container', `${dep} (for ${svcName})`, `Waiting (${cond.condition.replace('service_', '')})`);
              try {
                await waitForDependency(engine, project.name, svcName, dep, cond, deadline);
              } catch (err) {
                if (cond.condition !== 'service_started') progress.fail('Container', `${dep} (for ${svcName})`, (err as Error).message);
                if (cond.required) throw err;
                progress.note(
                  `warning: optional dependency "${dep}" of "${svcName}" is not ready (${(err as Error).message}); starting "${svcName}" anyway`,
                );
                return;
              }
              if (cond.condition !== 'service_started')
                progress.update('Container', `${dep} (for ${svcName})`, cond.condition === 'service_healthy' ? 'Healthy' : 'Exited', true);
            }),
          );
        }
        await Promise.all(
          actions.map((a) =>
            applyOne(svcName, a).catch((err) => {
              progress.fail('Container', 'name' in a ? a.name : a.container.name, (err as Error).message);
              throw err;
            }),
          ),
        );
      }),
    );
  }
}

export async function removeOrphans(ctx: ReconcileContext, orphans: ObservedContainer[], timeout?: number): Promise<void> {
  await Promise.all(
    orphans.map(async (o) => {
      ctx.progress.update('Container', o.name, 'Removing');
      await stopContainer(ctx.engine, o.id, timeout);
      await removeContainer(ctx.engine, o.id);
      ctx.progress.update('Container', o.name, 'Removed', true);
    }),
  );
}

/** The whole `up` (and `create` with noStart): lock, images, observe, plan, apply. */
export async function upServices(ctx: ReconcileContext, services: string[] | undefined, opts: UpOptions = {}): Promise<UpResult> {
  const { engine, project, progress } = ctx;
  const selected = selectServices(project, services, opts.noDeps);
  // keys the model carries but containers cannot honour yet: refused before anything is pulled, built or created
  for (const name of selected) {
    const refused = unsupportedAtUp(project.services[name]!);
    if (refused) throw new UserError(refused);
  }
  const imageRefs = selected.map((s) => serviceImage(project.name, project.services[s]));
  if (opts.dryRun) {
    const plan = planUp(project, await observe(engine, project.name, imageRefs), { ...opts, services });
    return { plan, dryRun: describePlan(plan) };
  }
  const lock = await lockProject(ctx.engineKey, project.name);
  try {
    // the project's containers, networks and volumes are listed while its images are looked at: when every image
    // is there (a no-op up), that spares a round trip; a build or pull, which takes its time, has them listed again
    const listing = observeResources(engine, project.name);
    listing.catch(() => undefined); // awaited below, or superseded when the images fail
    const images = await ensureImages(engine, project, selected, opts, progress);
    const observed = images.changed ? await observe(engine, project.name, imageRefs) : { ...(await listing), images: images.present };
    const plan = planUp(project, observed, { ...opts, services });
    await ensureNetworksAndVolumes(ctx, plan);
    if (plan.orphans.length && plan.removeOrphans) await removeOrphans(ctx, plan.orphans, opts.timeout);
    else if (plan.orphans.length)
      progress.note(
        `Found orphan containers (${plan.orphans.map((o) => o.name).join(', ')}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`,
      );
    await applyServices(ctx, plan, opts);
    if (opts.wait)
      await waitRunningOrHealthy(
        engine,
        project.name,
        selected,
        opts.waitTimeoutSeconds ? Date.now() + opts.waitTimeoutSeconds * 1000 : Infinity,
      );
    return { plan, dryRun: [] };
  } finally {
    lock.release();
  }
}
