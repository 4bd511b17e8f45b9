// `ps` on a swarm: one row per task — the task, its image, node, desired and current state, error and ports.
import type { StackService, SwarmTask } from './api.js';
import { taskName } from './converge.js';
import { byCodepoint } from '../codepoint-order.js';

export interface TaskRow {
  name: string;
  service: string;
  image: string;
  node: string;
  desired: string;
  current: string;
  error: string;
  ports: string;
  id: string;
}

const ago = (iso: string | undefined, now: number) => {
  if (!iso) return '';
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  return s < 60 ? `${s} seconds ago` : s < 3600 ? `${Math.floor(s / 60)} minutes ago` : `${Math.floor(s / 3600)} hours ago`;
};

/** Rows for the tasks of `services`, newest first per slot; `all` keeps the history (shut down tasks). */
export function taskRows(
  project: string,
  services: StackService[],
  tasks: SwarmTask[],
  nodeNames: Map<string, string>,
  opts: { all?: boolean; now?: number } = {},
): TaskRow[] {
  const now = opts.now ?? Date.now();
  const byId = new Map(services.map((s) => [s.ID, s]));
  return tasks
    .filter((t) => byId.has(t.ServiceID) && (opts.all || t.DesiredState !== 'shutdown' || t.Status.State === 'running'))
    .sort((a, b) =>
      a.ServiceID === b.ServiceID
        ? (a.Slot ?? 0) - (b.Slot ?? 0) || byCodepoint(b.UpdatedAt ?? '', a.UpdatedAt ?? '')
        : byCodepoint(byId.get(a.ServiceID)!.Spec?.Name ?? '', byId.get(b.ServiceID)!.Spec?.Name ?? ''),
    )
    .map((t) => {
      const spec = byId.get(t.ServiceID)!.Spec!;
      const service = spec.Name.startsWith(`${project}_`) ? spec.Name.slice(project.length + 1) : spec.Name;
      return {
        id: t.ID,
        name: taskName(spec.Name, t),
        service,
        image: (t.Spec?.ContainerSpec?.Image ?? '').replace(/@sha256:[0-9a-f]+$/, ''),
        node: nodeNames.get(t.NodeID ?? '') ?? t.NodeID?.slice(0, 12) ?? '',
        desired: t.DesiredState.replace(/^./, (c) => c.toUpperCase()),
        current: `${t.Status.State.replace(/^./, (c) => c.toUpperCase())} ${ago(t.Status.Timestamp, now)}`.trim(),
        error: t.Status.Err ?? '',
        ports: [...new Set((t.Status.PortStatus?.Ports ?? []).map((p) => `*:${p.PublishedPort}->${p.TargetPort}/${p.Protocol}`))].join(
          ', ',
        ),
      };
    });
}

/** Node names as `docker node ls` shows them; the short ID when hostnames repeat (nodes cloned from one image). */
export function nodeNames(nodes: { ID: string; Description?: { Hostname?: string } }[]): Map<string, string> {
  const counts = new Map<string, number>();
  for (const n of nodes) counts.set(n.Description?.Hostname ?? '', (counts.get(n.Description?.Hostname ?? '') ?? 0) + 1);
  return new Map(
    nodes.map((n) => {
      const host = n.Description?.Hostname ?? '';
      return [n.ID, host && counts.get(host) === 1 ? host : `${host ? `${host}-` : ''}${n.ID.slice(0, 6)}`];
    }),
  );
}
