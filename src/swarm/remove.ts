// `down` on a swarm: services, then — once their tasks are gone from every node — networks, secrets
// and configs of the stack; with -v the stack's volumes the manager node holds.
import type { SwarmApi } from './api.js';
import { inParallel } from '../concurrency.js';
import { namespaceFilter } from './labels.js';

export interface RemoveOptions {
  volumes?: boolean;
  timeoutSeconds?: number;
  report: (line: string) => void;
  pollMs?: number;
}

/** Retries `fn` while it fails (an object still in use while tasks stop) until the deadline. */
async function retrying(deadline: number, pollMs: number, fn: () => Promise<unknown>): Promise<void> {
  for (;;) {
    try {
      await fn();
      return;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return;
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}

export async function removeStack(api: SwarmApi, project: string, opts: RemoveOptions): Promise<void> {
  const pollMs = opts.pollMs ?? 500;
  const deadline = Date.now() + (opts.timeoutSeconds ?? 120) * 1000;
  const services = await api.services(project);
  await inParallel(services, 8, async (s) => {
    await retrying(deadline, pollMs, () => api.removeService(s.ID));
    opts.report(`Service ${s.Spec?.Name} removed`);
  });
  const ids = new Set(services.map((s) => s.ID));
  while (ids.size) {
    const left = (await api.tasks({})).filter((t) => ids.has(t.ServiceID));
    if (!left.length) break;
    if (Date.now() > deadline) {
      opts.report(`warning: ${left.length} tasks of the stack are still shutting down`);
      break;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const networks = await api.networks(project);
  await inParallel(networks, 4, async (n) => {
    await retrying(deadline, pollMs, () => api.removeNetwork(n.Id));
    opts.report(`Network ${n.Name} removed`);
  });
  for (const kind of ['secret', 'config'] as const) {
    const objects = await api.objects(kind, namespaceFilter(project));
    await inParallel(objects, 4, async (o) => {
      await retrying(deadline, pollMs, () => api.removeObject(kind, o.ID));
      opts.report(`${kind === 'secret' ? 'Secret' : 'Config'} ${o.Spec?.Name} removed`);
    });
  }
  if (opts.volumes) {
    const volumes = await api.volumes(project);
    await inParallel(volumes, 4, async (v) => {
      await retrying(deadline, pollMs, () => api.removeVolume(v.Name));
      opts.report(`Volume ${v.Name} removed`);
    });
    // volumes are node-local: the manager's API reaches only its own
    opts.report(
      'note: volumes are created on each node that ran a task; those on other nodes are left (remove them there with "docker volume rm")',
    );
  }
}
