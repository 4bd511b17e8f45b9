// The dependency graph of a project: services, networks and volumes as nodes; depends_on, links,
// network_mode/pid/ipc "service:x", volumes_from, and network/volume use as edges. Levels give
// the parallel start order (dependencies first); a cycle is a UserError that prints it.
import { UserError } from '../errors.js';
import type { Project, Service } from '../model/types.js';

export type EdgeKind = 'depends_on' | 'links' | 'network_mode' | 'pid' | 'ipc' | 'volumes_from';

export interface ServiceEdge {
  from: string;
  to: string;
  kind: EdgeKind;
}

export type GraphNode = { kind: 'service' | 'network' | 'volume'; name: string };

/** A service's use of a project network or named volume: the resource must exist before the service starts. */
export interface ResourceEdge {
  from: string;
  to: GraphNode;
}

export interface ServiceGraph {
  /** service names, sorted */
  readonly services: string[];
  /** service → service edges: `from` needs `to` started first */
  readonly edges: ServiceEdge[];
  /** every service, project network and project volume */
  readonly nodes: GraphNode[];
  /** service → network / volume edges */
  readonly resourceEdges: ResourceEdge[];
  /** services in parallel start order: every service comes after all its dependencies */
  levels(): string[][];
  /** levels reversed: the parallel stop order */
  stopLevels(): string[][];
  dependenciesOf(service: string): string[];
  dependentsOf(service: string): string[];
  transitiveDependenciesOf(service: string): string[];
  transitiveDependentsOf(service: string): string[];
  /** project network keys / volume keys a service uses */
  networksOf(service: string): string[];
  volumesOf(service: string): string[];
  servicesUsingNetwork(network: string): string[];
  servicesUsingVolume(volume: string): string[];
  /** the given services plus everything they (transitively) depend on, in start levels */
  levelsFor(services: string[]): string[][];
}

export function serviceEdges(svc: Service): ServiceEdge[] {
  const edges: ServiceEdge[] = [];
  const add = (to: string, kind: EdgeKind) => edges.push({ from: svc.name, to, kind });
  for (const dep of Object.keys(svc.dependsOn)) add(dep, 'depends_on');
  for (const link of svc.links) add(link.split(':')[0]!, 'links');
  for (const from of svc.volumesFrom) if (!from.startsWith('container:')) add(from.split(':')[0]!, 'volumes_from');
  if (svc.networkMode?.startsWith('service:')) add(svc.networkMode.slice(8), 'network_mode');
  if (svc.pid?.startsWith('service:')) add(svc.pid.slice(8), 'pid');
  if (svc.ipc?.startsWith('service:')) add(svc.ipc.slice(8), 'ipc');
  return edges;
}

export function buildGraph(project: Project): ServiceGraph {
  const names = Object.keys(project.services).sort();
  const deps = new Map<string, Set<string>>(names.map((n) => [n, new Set()]));
  const dependents = new Map<string, Set<string>>(names.map((n) => [n, new Set()]));
  const edges: ServiceEdge[] = [];
  for (const n of names) {
    for (const e of serviceEdges(project.services[n]!)) {
      if (!deps.has(e.to)) {
        throw new UserError(`service "${e.from}" refers to undefined service "${e.to}" (${e.kind})`);
      }
      edges.push(e);
      deps.get(n)!.add(e.to);
      dependents.get(e.to)!.add(n);
    }
  }
  const cycle = findCycle(names, deps);
  if (cycle) throw new UserError(`dependency cycle between services: ${cycle.join(' → ')}`);

  const networksOf = (s: string) => Object.keys(project.services[s]?.networks ?? {}).sort();
  const volumesOf = (s: string) =>
    [...new Set((project.services[s]?.volumes ?? []).filter((v) => v.type === 'volume' && v.source).map((v) => v.source!))].sort();
  const levelsOf = (subset: Set<string>) => topologicalLevels([...subset].sort(), deps);
  const transitive = (start: string, adj: Map<string, Set<string>>) => {
    known(start);
    const seen = new Set<string>();
    const stack = [...adj.get(start)!];
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      stack.push(...adj.get(n)!);
    }
    return [...seen].sort();
  };
  const known = (s: string) => {
    if (!deps.has(s)) throw new UserError(`no such service: ${s}`);
  };

  const nodes: GraphNode[] = [
    ...names.map((name) => ({ kind: 'service' as const, name })),
    ...Object.keys(project.networks)
      .sort()
      .map((name) => ({ kind: 'network' as const, name })),
    ...Object.keys(project.volumes)
      .sort()
      .map((name) => ({ kind: 'volume' as const, name })),
  ];
  const resourceEdges: ResourceEdge[] = names.flatMap((s) => [
    ...networksOf(s).map((name) => ({ from: s, to: { kind: 'network' as const, name } })),
    ...volumesOf(s).map((name) => ({ from: s, to: { kind: 'volume' as const, name } })),
  ]);

  return {
    services: names,
    edges,
    nodes,
    resourceEdges,
    levels: () => levelsOf(new Set(names)),
    stopLevels: () => levelsOf(new Set(names)).reverse(),
    dependenciesOf: (s) => (known(s), [...deps.get(s)!].sort()),
    dependentsOf: (s) => (known(s), [...dependents.get(s)!].sort()),
    transitiveDependenciesOf: (s) => transitive(s, deps),
    transitiveDependentsOf: (s) => transitive(s, dependents),
    networksOf: (s) => (known(s), networksOf(s)),
    volumesOf: (s) => (known(s), volumesOf(s)),
    servicesUsingNetwork: (n) => names.filter((s) => networksOf(s).includes(n)),
    servicesUsingVolume: (v) => names.filter((s) => volumesOf(s).includes(v)),
    levelsFor: (services) => {
      const subset = new Set<string>();
      for (const s of services) {
        subset.add(s);
        for (const d of transitive(s, deps)) subset.add(d);
      }
      return levelsOf(subset);
    },
  };
}

/** Kahn's algorithm by rounds; `names` must be cycle-free under `deps`. Within a level, sorted. */
function topologicalLevels(names: string[], deps: Map<string, Set<string>>): string[][] {
  const inSubset = new Set(names);
  const remaining = new Set(names);
  const levels: string[][] = [];
  while (remaining.size) {
    const level = [...remaining].filter((n) => [...deps.get(n)!].every((d) => !inSubset.has(d) || !remaining.has(d))).sort();
    for (const n of level) remaining.delete(n);
    levels.push(level);
  }
  return levels;
}

/** The first cycle found, as a closed path: [a, b, c, a]. Deterministic (sorted traversal). */
export function findCycle(names: string[], deps: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 'visiting');
    path.push(n);
    for (const d of [...deps.get(n)!].sort()) {
      const s = state.get(d);
      if (s === 'visiting') return [...path.slice(path.indexOf(d)), d];
      if (s === undefined) {
        const found = visit(d);
        if (found) return found;
      }
    }
    path.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of names) {
    if (state.has(n)) continue;
    const found = visit(n);
    if (found) return found;
  }
  return undefined;
}
