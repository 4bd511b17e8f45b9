// Which services an operation touches and in what order: dependencies first, in levels whose
// members can start in parallel. Edges: depends_on, links, network_mode service:x, volumes_from.
import type { Project, Service } from '../model/types.js';
import { UserError } from '../errors.js';

export function serviceDependencies(service: Service): string[] {
  const deps = new Set(Object.keys(service.dependsOn));
  for (const link of service.links) deps.add(link.split(':')[0]);
  if (service.networkMode?.startsWith('service:')) deps.add(service.networkMode.slice('service:'.length));
  for (const from of service.volumesFrom) if (!from.startsWith('container:')) deps.add(from.split(':')[0]);
  return [...deps];
}

/** The named services plus (unless noDeps) everything they depend on; all services when none are named. */
export function selectServices(project: Project, names: string[] | undefined, noDeps = false): string[] {
  for (const n of names ?? []) {
    if (!project.services[n]) {
      const hint = project.disabledServices[n] ? ' (it is disabled by a profile; enable it with --profile)' : '';
      throw new UserError(`no such service: "${n}"${hint}`);
    }
  }
  if (!names?.length) return Object.keys(project.services).sort();
  const chosen = new Set<string>();
  const visit = (name: string) => {
    if (chosen.has(name) || !project.services[name]) return;
    chosen.add(name);
    if (!noDeps) for (const d of serviceDependencies(project.services[name])) visit(d);
  };
  names.forEach(visit);
  return [...chosen].sort();
}

/** Topological levels of the given services (dependencies outside the set are ignored). */
export function serviceLevels(project: Project, services: string[]): string[][] {
  const inSet = new Set(services);
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (name: string, path: string[]): number => {
    const known = level.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) throw new UserError(`dependency cycle between services: ${[...path, name].join(' -> ')}`);
    visiting.add(name);
    const deps = serviceDependencies(project.services[name]).filter((d) => inSet.has(d));
    const d = deps.length ? Math.max(...deps.map((x) => depth(x, [...path, name]))) + 1 : 0;
    visiting.delete(name);
    level.set(name, d);
    return d;
  };
  services.forEach((s) => depth(s, []));
  const levels: string[][] = [];
  for (const s of [...services].sort()) (levels[level.get(s)!] ??= []).push(s);
  return levels.filter(Boolean);
}
