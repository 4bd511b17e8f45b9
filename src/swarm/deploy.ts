// `up` on a swarm: networks, secrets and configs first (created when missing, never updated: their
// names carry their content), then services created or updated only where their spec hash changed,
// then the wait until what changed has converged, then the secrets and configs no service uses any more.
import type { Project } from '../model/types.js';
import { UserError } from '../errors.js';
import type { SwarmApi, StackService } from './api.js';
import { serviceConvergence, taskName, type Convergence } from './converge.js';
import { stackInputs } from './inputs.js';
import { registryAuthLookup, type AuthConfig } from './registry-auth.js';
import { namespaceFilter, SWARM_LABEL } from './labels.js';
import { taskLogTail } from './logs.js';
import { planServices, type ServicePlan } from './plan.js';
import { stackSpec, type StackSpec } from './stack.js';
import type { SwarmServiceSpec } from './spec-types.js';
import { inParallel } from '../concurrency.js';

export interface DeployOptions {
  services: string[];
  scale?: Record<string, number>;
  removeOrphans?: boolean;
  /** wait for every selected service, not only those this deploy changed */
  wait?: boolean;
  waitTimeoutSeconds?: number;
  forceUpdate?: boolean;
  dryRun?: boolean;
  /** progress and warnings, one line each */
  report: (line: string) => void;
  /** polling interval while waiting */
  pollMs?: number;
  /** how long every task must stay up before the deploy counts as converged */
  stableMs?: number;
  /** images built and pushed by this deploy: "image as written" → "image@digest" */
  pinnedImages?: Record<string, string>;
  /** registry credentials for an image (default: ~/.docker/config.json's, as --with-registry-auth) */
  registryAuth?: (image: string) => AuthConfig | undefined;
}

export interface DeployResult {
  plan: ServicePlan;
  stack: StackSpec;
  apiCalls: number;
}

const DEFAULT_TIMEOUT_S = 300;
const MAX_FAILED_TASKS = 3;
/** A task that crashes right after starting is "running" for a moment: like `docker service create`,
 *  converged means still running a few seconds later. */
const STABLE_MS = 3000;

export async function deployStack(api: SwarmApi, project: Project, opts: DeployOptions): Promise<DeployResult> {
  const registryAuth = opts.registryAuth ?? registryAuthLookup();
  const inputs = await stackInputs(api, project, opts.services, opts.report, { pinned: opts.pinnedImages, registryAuth });
  const stack = stackSpec(project, { ...inputs, scale: opts.scale, built: opts.pinnedImages !== undefined });
  for (const w of stack.warnings) opts.report(`warning: ${w}`);

  const [observedServices, observedNetworks, observedSecrets, observedConfigs] = await Promise.all([
    api.services(project.name),
    api.networks(project.name),
    api.objects('secret', namespaceFilter(project.name)),
    api.objects('config', namespaceFilter(project.name)),
  ]);
  const plan = planServices(stack.services, observedServices, { selected: opts.services.length > 0, forceUpdate: opts.forceUpdate });
  if (opts.dryRun) return { plan, stack, apiCalls: api.calls };

  await checkExternal(api, stack);
  const haveNetworks = new Set(observedNetworks.map((n) => n.Name));
  await inParallel(
    stack.networks.filter((n) => !haveNetworks.has(n.Name)),
    4,
    async (spec) => {
      const existing = await api.network(spec.Name);
      if (existing) {
        if (existing.Scope !== 'swarm')
          throw new UserError(
            `network ${spec.Name} exists on the manager with scope "${existing.Scope}": remove it or name the stack's network differently`,
          );
        return; // made by hand or by docker stack: used as is
      }
      await api.createNetwork(spec);
      opts.report(`Network ${spec.Name} created`);
    },
  );
  const objectIds = new Map<string, string>(); // "secret:<name>" → ID
  for (const [kind, specs, observed] of [
    ['secret', stack.secrets, observedSecrets],
    ['config', stack.configs, observedConfigs],
  ] as const) {
    for (const o of observed) objectIds.set(`${kind}:${o.Spec?.Name}`, o.ID);
    await inParallel(
      specs.filter((s) => !objectIds.has(`${kind}:${s.Name}`)),
      4,
      async (spec) => {
        objectIds.set(`${kind}:${spec.Name}`, await api.createObject(kind, spec));
        opts.report(`${kind === 'secret' ? 'Secret' : 'Config'} ${spec.Name} created`);
      },
    );
  }
  for (const [kind, names] of [
    ['secret', stack.externalSecrets],
    ['config', stack.externalConfigs],
  ] as const) {
    for (const o of names.length ? await api.objects(kind, { name: names }) : []) objectIds.set(`${kind}:${o.Spec?.Name}`, o.ID);
  }
  // the API wants IDs beside names; they stay out of the spec hash (a name already says the content)
  for (const spec of [...plan.create, ...plan.update.map((u) => u.spec)]) withObjectIds(spec, objectIds);

  const auth = (spec: SwarmServiceSpec) => registryAuth(spec.TaskTemplate.ContainerSpec.Image ?? '');
  await inParallel(plan.create, 8, async (spec) => {
    await api.createService(spec, auth(spec));
    opts.report(`Service ${spec.Name} created`);
  });
  await inParallel(plan.update, 8, async (u) => {
    await api.updateService(u.id, u.version, u.spec, auth(u.spec));
    opts.report(`Service ${u.spec.Name} updated`);
  });
  for (const name of plan.unchanged) opts.report(`Service ${name} unchanged`);
  if (plan.orphans.length) {
    if (opts.removeOrphans) {
      await inParallel(plan.orphans, 8, async (o) => {
        await api.removeService(o.id);
        opts.report(`Service ${o.name} removed (orphan)`);
      });
    } else {
      opts.report(
        `warning: found orphan services (${plan.orphans.map((o) => o.name).join(', ')}) for this project: remove them with --remove-orphans`,
      );
    }
  }

  const changed = new Set([...plan.create.map((s) => s.Name), ...plan.update.map((u) => u.spec.Name)]);
  const awaited = opts.wait ? new Set(stack.services.map((s) => s.Name)) : changed;
  if (awaited.size) await waitForServices(api, project.name, awaited, opts);
  if (!opts.services.length) await pruneObjects(api, project.name, stack, opts.report);
  return { plan, stack, apiCalls: api.calls };
}

function withObjectIds(spec: SwarmServiceSpec, ids: Map<string, string>): void {
  const c = spec.TaskTemplate.ContainerSpec;
  for (const r of c.Secrets ?? []) r.SecretID = ids.get(`secret:${r.SecretName}`) ?? missing('secret', r.SecretName);
  for (const r of c.Configs ?? []) r.ConfigID = ids.get(`config:${r.ConfigName}`) ?? missing('config', r.ConfigName);
}

const missing = (kind: string, name: string | undefined): never => {
  throw new UserError(`${kind} ${name} not found on the swarm`);
};

async function checkExternal(api: SwarmApi, stack: StackSpec): Promise<void> {
  await Promise.all(
    stack.externalNetworks.map(async (name) => {
      const net = await api.network(name);
      if (!net)
        throw new UserError(
          `external network "${name}" does not exist: create it with "docker network create --driver overlay --attachable ${name}"`,
        );
      if (net.Scope !== 'swarm')
        throw new UserError(`external network "${name}" has scope "${net.Scope}": Swarm services need a swarm-scoped (overlay) network`);
    }),
  );
  for (const [kind, names] of [
    ['secret', stack.externalSecrets],
    ['config', stack.externalConfigs],
  ] as const) {
    if (!names.length) continue;
    const found = new Set((await api.objects(kind, { name: names })).map((o) => o.Spec?.Name));
    const missing = names.filter((n) => !found.has(n));
    if (missing.length)
      throw new UserError(
        `external ${kind}${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found on the swarm: create ${missing.length > 1 ? 'them' : 'it'} with "docker ${kind} create"`,
      );
  }
}

/** Each poll lists the awaited services and all their tasks, so its cost on the manager grows with the
 *  stack: 500 ms up to 100 services, then 5 ms per service, at most 5 s (1,000 services). */
export const pollInterval = (services: number): number => Math.min(5000, Math.max(500, services * 5));

/** Polls until every awaited service converged; fails naming the service, its task, node, error and last log lines. */
async function waitForServices(api: SwarmApi, project: string, names: Set<string>, opts: DeployOptions): Promise<void> {
  const deadline = Date.now() + (opts.waitTimeoutSeconds ?? DEFAULT_TIMEOUT_S) * 1000;
  const convergeOpts = { maxFailures: MAX_FAILED_TASKS };
  let last = new Map<string, Convergence>();
  let services: StackService[] = [];
  let convergedSince: number | undefined;
  for (;;) {
    services = (await api.services(project)).filter((s) => names.has(s.Spec?.Name ?? ''));
    const tasks = await api.tasks({ service: services.map((s) => s.ID) });
    last = new Map(services.map((s) => [s.Spec!.Name, serviceConvergence(s, tasks, convergeOpts)]));
    const failed = [...last].find(([, c]) => c.status === 'failed');
    if (failed) throw await convergenceError(api, failed[0], failed[1], 'failed');
    if ([...last.values()].every((c) => c.status === 'done') && services.length === names.size) {
      convergedSince ??= Date.now();
      if (Date.now() - convergedSince >= (opts.stableMs ?? STABLE_MS)) return;
    } else convergedSince = undefined;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? pollInterval(names.size)));
  }
  const pending = [...last].filter(([, c]) => c.status !== 'done');
  const first = pending[0];
  if (!first) throw new UserError(`timed out waiting for services ${[...names].join(', ')} to appear`);
  throw await convergenceError(
    api,
    first[0],
    first[1],
    `did not converge within ${opts.waitTimeoutSeconds ?? DEFAULT_TIMEOUT_S}s`,
    pending.slice(1).map(([n, c]) => `service ${n}: ${c.status === 'done' ? '' : c.detail}`),
  );
}

async function convergenceError(api: SwarmApi, service: string, c: Convergence, what: string, others: string[] = []): Promise<UserError> {
  if (c.status === 'done') return new UserError(`service ${service} ${what}`);
  let where = '';
  let logs: string[] = [];
  if (c.task) {
    const nodes = await api.nodes().catch(() => []);
    const node = nodes.find((n) => n.ID === c.task!.NodeID);
    where = ` (task ${taskName(service, c.task)}${node ? ` on node ${node.Description?.Hostname ?? ''} ${node.ID.slice(0, 12)}${node.Status?.Addr ? ` ${node.Status.Addr}` : ''}` : ''})`;
    logs = await taskLogTail(api.docker, c.task.ID, 5);
  }
  const lines = [`service ${service} ${what}${where}: ${c.detail}`];
  if (logs.length) lines.push('last log lines:', ...logs.map((l) => `  ${l}`));
  lines.push(...others);
  return new UserError(lines.join('\n'));
}

/** Secrets and configs of the stack that no service refers to any more (an older content). In-use ones stay. */
async function pruneObjects(api: SwarmApi, project: string, stack: StackSpec, report: (line: string) => void): Promise<void> {
  const services = await api.services(project);
  const used = new Set(
    services.flatMap((s) => {
      const c = s.Spec?.TaskTemplate?.ContainerSpec;
      return [...(c?.Secrets ?? []).map((r) => r.SecretName), ...(c?.Configs ?? []).map((r) => r.ConfigName)];
    }),
  );
  for (const n of [...stack.secrets, ...stack.configs]) used.add(n.Name);
  for (const kind of ['secret', 'config'] as const) {
    const stale = (await api.objects(kind, namespaceFilter(project))).filter(
      (o) => !used.has(o.Spec?.Name) && o.Spec?.Labels?.[SWARM_LABEL.namespace] === project,
    );
    await inParallel(stale, 4, async (o) => {
      try {
        await api.removeObject(kind, o.ID);
        report(`${kind === 'secret' ? 'Secret' : 'Config'} ${o.Spec?.Name} removed (no longer used)`);
      } catch {
        /* still in use by a task: next deploy */
      }
    });
  }
}
