// Which services a deploy creates, updates, leaves alone or finds orphaned: by the spec hash each
// service carries, so an unchanged service is not touched (no new version, no task restarted).
import { SWARM_LABEL } from './labels.js';
import type { SwarmServiceSpec } from './spec-types.js';

export interface ObservedService {
  ID: string;
  Version?: { Index?: number };
  Spec?: { Name?: string; Labels?: Record<string, string> };
}

export interface ServicePlan {
  create: SwarmServiceSpec[];
  update: { spec: SwarmServiceSpec; id: string; version: number }[];
  unchanged: string[];
  /** services of the stack the compose file no longer has */
  orphans: { id: string; name: string }[];
}

/** `selected`: the deploy names services, so the others are neither orphans nor touched. */
export function planServices(
  desired: SwarmServiceSpec[],
  observed: ObservedService[],
  opts: { selected?: boolean; forceUpdate?: boolean } = {},
): ServicePlan {
  const byName = new Map(observed.map((s) => [s.Spec?.Name ?? '', s]));
  const plan: ServicePlan = { create: [], update: [], unchanged: [], orphans: [] };
  for (const spec of desired) {
    const current = byName.get(spec.Name);
    if (!current) plan.create.push(spec);
    else if (opts.forceUpdate || current.Spec?.Labels?.[SWARM_LABEL.specHash] !== spec.Labels[SWARM_LABEL.specHash]) {
      plan.update.push({ spec, id: current.ID, version: current.Version?.Index ?? 0 });
    } else plan.unchanged.push(spec.Name);
  }
  if (!opts.selected) {
    const wanted = new Set(desired.map((s) => s.Name));
    for (const s of observed) if (!wanted.has(s.Spec?.Name ?? '')) plan.orphans.push({ id: s.ID, name: s.Spec?.Name ?? s.ID });
  }
  return plan;
}
