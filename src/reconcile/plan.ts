// The pure planning function: (desired model, observed state, options) -> the actions that converge.
import type { Project } from '../model/types.js';
import { serviceConfigHash } from './config-hash.js';
import { containerName, networkName, serviceImage, serviceNetworkKeys, volumeName } from './names.js';
import type { ObservedContainer, ObservedState } from './observed.js';
import { selectServices, serviceLevels } from './levels.js';

export interface PlanOptions {
  services?: string[];
  noDeps?: boolean;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  noStart?: boolean;
  removeOrphans?: boolean;
  scale?: Record<string, number>;
}

export type ContainerAction =
  | { kind: 'create'; service: string; number: number; name: string }
  | { kind: 'recreate'; service: string; number: number; name: string; container: ObservedContainer; reason: string }
  | { kind: 'start'; service: string; container: ObservedContainer }
  | { kind: 'keep'; service: string; container: ObservedContainer }
  | { kind: 'remove'; service: string; container: ObservedContainer };

export interface ResourceAction {
  key: string;
  name: string;
  action: 'create' | 'keep' | 'external';
}

export interface Plan {
  networks: ResourceAction[];
  volumes: ResourceAction[];
  levels: string[][];
  services: Record<string, ContainerAction[]>;
  orphans: ObservedContainer[];
  removeOrphans: boolean;
  start: boolean;
}

export function desiredScale(project: Project, service: string, override?: Record<string, number>): number {
  const s = project.services[service];
  return override?.[service] ?? s.scale ?? s.deploy?.replicas ?? 1;
}

export function planUp(project: Project, observed: ObservedState, opts: PlanOptions = {}): Plan {
  const selected = selectServices(project, opts.services, opts.noDeps);
  const levels = serviceLevels(project, selected);
  const services: Record<string, ContainerAction[]> = {};
  const recreated = new Set<string>();

  for (const level of levels) {
    for (const name of level) {
      const service = project.services[name];
      const hash = serviceConfigHash(service);
      const wantedImageId = observed.images[serviceImage(project.name, service)];
      const existing = observed.containers.filter((c) => c.service === name && !c.oneoff).sort((a, b) => a.number - b.number);
      const scale = desiredScale(project, name, opts.scale);
      const actions: ContainerAction[] = [];
      const kept = existing.slice(0, scale);
      for (const c of existing.slice(scale)) actions.push({ kind: 'remove', service: name, container: c });

      const netOwner = service.networkMode?.startsWith('service:') ? service.networkMode.slice('service:'.length) : undefined;
      // a recreated network_mode owner takes its network namespace with it
      const depRestart =
        Object.entries(service.dependsOn).find(([dep, d]) => d.restart && recreated.has(dep)) ??
        (netOwner && recreated.has(netOwner) ? [netOwner] : undefined);
      for (const c of kept) {
        const reason = opts.noRecreate
          ? undefined
          : opts.forceRecreate
            ? 'forced'
            : c.configHash !== hash
              ? 'configuration changed'
              : wantedImageId && c.imageId !== wantedImageId
                ? 'image changed'
                : depRestart
                  ? `dependency ${depRestart[0]} was recreated`
                  : undefined;
        if (reason) {
          actions.push({
            kind: 'recreate',
            service: name,
            number: c.number,
            name: containerName(project.name, service, c.number),
            container: c,
            reason,
          });
          recreated.add(name);
        } else if (c.state !== 'running' && !opts.noStart) {
          actions.push({ kind: 'start', service: name, container: c });
        } else {
          actions.push({ kind: 'keep', service: name, container: c });
        }
      }
      const used = new Set(kept.map((c) => c.number));
      let next = 1;
      for (let i = kept.length; i < scale; i++) {
        while (used.has(next)) next++;
        used.add(next);
        actions.push({ kind: 'create', service: name, number: next, name: containerName(project.name, service, next) });
      }
      services[name] = actions;
    }
  }

  const networkKeys = new Set(selected.flatMap((s) => serviceNetworkKeys(project.services[s])));
  const networks = [...networkKeys].sort().map((key): ResourceAction => {
    const name = networkName(project, key);
    if (project.networks[key]?.external) return { key, name, action: 'external' };
    return { key, name, action: observed.networks.some((n) => n.name === name) ? 'keep' : 'create' };
  });
  const volumes = Object.values(project.volumes).map((v): ResourceAction => {
    const name = volumeName(project, v.key);
    if (v.external) return { key: v.key, name, action: 'external' };
    return { key: v.key, name, action: observed.volumes.some((o) => o.name === name) ? 'keep' : 'create' };
  });

  const known = new Set([...Object.keys(project.services), ...Object.keys(project.disabledServices)]);
  const orphans = observed.containers.filter((c) => !c.oneoff && !known.has(c.service));
  return { networks, volumes, levels, services, orphans, removeOrphans: !!opts.removeOrphans, start: !opts.noStart };
}

/** One line per action, for --dry-run and tests. */
export function describePlan(plan: Plan): string[] {
  const lines: string[] = [];
  for (const n of plan.networks) if (n.action === 'create') lines.push(`Network ${n.name}  Create`);
  for (const v of plan.volumes) if (v.action === 'create') lines.push(`Volume ${v.name}  Create`);
  for (const level of plan.levels) {
    for (const s of level) {
      for (const a of plan.services[s]) {
        if (a.kind === 'create') lines.push(`Container ${a.name}  Create${plan.start ? ' and start' : ''}`);
        else if (a.kind === 'recreate') lines.push(`Container ${a.container.name}  Recreate (${a.reason})`);
        else if (a.kind === 'start') lines.push(`Container ${a.container.name}  Start`);
        else if (a.kind === 'remove') lines.push(`Container ${a.container.name}  Remove (scale down)`);
        else lines.push(`Container ${a.container.name}  Running`);
      }
    }
  }
  for (const o of plan.orphans)
    lines.push(
      plan.removeOrphans ? `Container ${o.name}  Remove (orphan)` : `Container ${o.name}  Orphan (use --remove-orphans to remove it)`,
    );
  return lines;
}
