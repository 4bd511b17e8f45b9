// The CLI commands with --engine swarm: each takes the command context the CLI built (project loaded,
// manager checked) and the command's own flags. Imported only when the engine is swarm.
import chalk from 'chalk';
import Docker from 'dockerode';
import type { CommandContext } from '../cli/context.js';
import { formatTable } from '../cli/output/table.js';
import { colourEnabled } from '../cli/output/attach.js';
import { logPrefixer } from '../cli/output/log-prefix.js';
import type { UpFlags } from '../cli/commands/up.js';
import type { UpOptions } from '../reconcile/up.js';
import { UserError } from '../errors.js';
import { SwarmApi } from './api.js';
import { localBuildEngine } from './build-engine.js';
import { buildAndPush } from './images.js';
import { deployStack } from './deploy.js';
import { SWARM_LABEL } from './labels.js';
import { registryAuthLookup } from './registry-auth.js';
import { streamServiceLogs } from './logs.js';
import { removeStack } from './remove.js';
import { nodeNames, taskRows } from './tasks.js';
import { byCodepoint } from '../codepoint-order.js';

type Ctx = Pick<CommandContext, 'project' | 'global' | 'progress'>;

/** The swarm manager's API (services, tasks, nodes, secrets: beyond the EngineClient seam), at DOCKER_HOST,
 *  which connectEngine has already checked is a manager. */
const manager = (): Docker => new Docker();

const report = (line: string) => process.stderr.write(`${line.startsWith('warning:') ? chalk.yellow(line) : line}\n`);

/** Flags of `up` that mean containers on one machine; refused rather than ignored. */
const UP_FLAGS_NOT_ON_SWARM: [keyof UpFlags, string][] = [
  ['abortOnContainerExit', '--abort-on-container-exit'],
  ['exitCodeFrom', '--exit-code-from'],
  ['watch', '--watch'],
  ['attach', '--attach'],
  ['noAttach', '--no-attach'],
];

export async function swarmUp(ctx: Ctx, flags: UpFlags, opts: UpOptions): Promise<void> {
  const services = opts.services ?? [];
  for (const [key, flag] of UP_FLAGS_NOT_ON_SWARM) if (flags[key]) throw new UserError(`${flag} is not available with --engine swarm yet`);
  if (flags.start === false) throw new UserError('--no-start is not available with --engine swarm: a service always runs its tasks');
  const api = new SwarmApi(manager());
  let pinnedImages: Record<string, string> | undefined;
  if (flags.build && !ctx.global.dryRun) {
    try {
      pinnedImages = await buildAndPush(await localBuildEngine(), ctx.project, services, ctx.progress);
    } finally {
      await ctx.progress.close();
    }
  }
  const result = await deployStack(api, ctx.project, {
    services,
    scale: opts.scale,
    removeOrphans: opts.removeOrphans,
    wait: opts.wait,
    waitTimeoutSeconds: opts.waitTimeoutSeconds,
    forceUpdate: opts.forceRecreate,
    dryRun: ctx.global.dryRun,
    report,
    pinnedImages,
  });
  if (ctx.global.dryRun) {
    const { plan } = result;
    for (const s of plan.create) console.log(`DRY-RUN MODE - create service ${s.Name}`);
    for (const u of plan.update) console.log(`DRY-RUN MODE - update service ${u.spec.Name}`);
    for (const n of plan.unchanged) console.log(`DRY-RUN MODE - service ${n} unchanged`);
    return;
  }
  if (flags.detach || flags.wait) return;
  process.stderr.write('The stack runs on the swarm; following its logs (Ctrl-C stops following, "down" removes the stack)\n');
  await swarmLogs(ctx, services, { follow: true, tail: '0' });
}

export async function swarmDown(ctx: Ctx, flags: { volumes?: boolean; rmi?: string; timeout?: string }): Promise<void> {
  if (flags.rmi) throw new UserError('--rmi is not available with --engine swarm: images live on every node');
  if (ctx.global.dryRun) {
    const services = await new SwarmApi(manager()).services(ctx.project.name);
    for (const s of services) console.log(`DRY-RUN MODE - remove service ${s.Spec?.Name}`);
    return;
  }
  await removeStack(new SwarmApi(manager()), ctx.project.name, { volumes: flags.volumes, report });
}

async function stackServices(api: SwarmApi, project: string, services: string[]) {
  const all = await api.services(project);
  for (const s of services)
    if (!all.some((x) => x.Spec?.Name === `${project}_${s}`)) throw new UserError(`no such service in the stack ${project}: ${s}`);
  return all.filter((s) => !services.length || services.includes(s.Spec?.Name.slice(project.length + 1) ?? ''));
}

export async function swarmPs(
  ctx: Ctx,
  services: string[],
  flags: { all?: boolean; quiet?: boolean; services?: boolean; format?: string; status?: string[]; filter?: string },
): Promise<void> {
  if (flags.status?.length || flags.filter)
    throw new UserError(
      '--status and --filter are not available with --engine swarm yet: tasks have their own states (see the CURRENT STATE column)',
    );
  const api = new SwarmApi(manager());
  const selected = await stackServices(api, ctx.project.name, services);
  if (flags.services) {
    for (const s of selected) console.log(s.Spec!.Name.slice(ctx.project.name.length + 1));
    return;
  }
  const [tasks, nodes] = await Promise.all([selected.length ? api.tasks({ service: selected.map((s) => s.ID) }) : [], api.nodes()]);
  const rows = taskRows(ctx.project.name, selected, tasks, nodeNames(nodes), { all: flags.all });
  if (flags.quiet) {
    for (const r of rows) console.log(r.id);
    return;
  }
  if (flags.format === 'json') {
    for (const r of rows) console.log(JSON.stringify(r));
    return;
  }
  if (flags.format && flags.format !== 'table') throw new UserError(`invalid --format "${flags.format}": use table or json`);
  console.log(
    formatTable(
      ['NAME', 'IMAGE', 'NODE', 'DESIRED STATE', 'CURRENT STATE', 'ERROR', 'PORTS'],
      rows.map((r) => [r.name, r.image, r.node, r.desired, r.current, r.error, r.ports]),
    ),
  );
}

export async function swarmLogs(
  ctx: Ctx,
  services: string[],
  flags: {
    follow?: boolean;
    tail?: string;
    timestamps?: boolean;
    logPrefix?: boolean;
    color?: boolean;
    since?: string;
    until?: string;
    index?: string;
  },
): Promise<void> {
  if (flags.since || flags.until || flags.index)
    throw new UserError('--since, --until and --index are not available with --engine swarm yet');
  const api = new SwarmApi(manager());
  const project = ctx.project.name;
  const selected = await stackServices(api, project, services);
  const [tasks, nodes] = await Promise.all([selected.length ? api.tasks({ service: selected.map((s) => s.ID) }) : [], api.nodes()]);
  const taskSlots = new Map(tasks.map((t) => [t.ID, String(t.Slot ?? t.NodeID?.slice(0, 6) ?? '')]));
  const names = nodeNames(nodes);
  const colour = colourEnabled(ctx.global.ansi, flags.color === false);
  if (!colour) chalk.level = 0;
  const width = Math.max(
    0,
    ...tasks.map(
      (t) =>
        `${selected.find((s) => s.ID === t.ServiceID)?.Spec?.Name.slice(project.length + 1)}.${taskSlots.get(t.ID)}@${names.get(t.NodeID ?? '')}`
          .length,
    ),
  );
  const prefixer = logPrefixer(['x'.repeat(width)], { colour, enabled: flags.logPrefix !== false });
  const tail = flags.tail === undefined || flags.tail === 'all' ? undefined : Number(flags.tail);
  if (tail !== undefined && !Number.isInteger(tail)) throw new UserError(`invalid --tail "${flags.tail}": a number of lines or "all"`);
  await streamServiceLogs(
    manager(),
    selected.map((s) => ({ id: s.ID, name: s.Spec!.Name.slice(project.length + 1) })),
    { taskSlots, nodeNames: names },
    { follow: flags.follow, tail, timestamps: flags.timestamps },
    (l) => process.stdout.write(`${prefixer.prefix(l.task, l.service)}${l.text}\n`),
  );
}

/** Stacks on the swarm: docker stack's namespace label, whoever deployed them. */
export async function swarmLs(flags: { quiet?: boolean; format?: string; filter?: string }): Promise<void> {
  const services = await new SwarmApi(manager()).allServices();
  const stacks = new Map<string, { services: number }>();
  for (const s of services) {
    const ns = s.Spec?.Labels?.[SWARM_LABEL.namespace];
    if (!ns) continue;
    const e = stacks.get(ns) ?? { services: 0 };
    e.services++;
    stacks.set(ns, e);
  }
  const nameFilter = /^name=(.+)$/.exec(flags.filter ?? '')?.[1];
  const rows = [...stacks].filter(([n]) => !nameFilter || n.includes(nameFilter)).sort(([a], [b]) => byCodepoint(a, b));
  if (flags.quiet) {
    for (const [n] of rows) console.log(n);
    return;
  }
  if (flags.format === 'json') {
    console.log(JSON.stringify(rows.map(([Name, e]) => ({ Name, Services: e.services, Orchestrator: 'Swarm' }))));
    return;
  }
  console.log(
    formatTable(
      ['NAME', 'SERVICES', 'ORCHESTRATOR'],
      rows.map(([n, e]) => [n, String(e.services), 'Swarm']),
    ),
  );
}

/** `pull` on a swarm: the nodes pull at deploy time, so this checks that each service's image is in its
 *  registry (asked through the manager, with the registry credentials) and prints the digest it deploys. */
export async function swarmPull(
  ctx: Ctx,
  services: string[],
  flags: { ignorePullFailures?: boolean; ignoreBuildable?: boolean; quiet?: boolean },
): Promise<void> {
  const api = new SwarmApi(manager());
  const auth = registryAuthLookup();
  const names = (services.length ? services : Object.keys(ctx.project.services)).sort();
  const failures: string[] = [];
  await Promise.all(
    names.map(async (n) => {
      const s = ctx.project.services[n];
      if (!s) throw new UserError(`no such service: ${n}`);
      if (!s.image || (flags.ignoreBuildable && s.build)) return;
      try {
        const digest = await api.imageDigest(s.image, auth(s.image));
        if (!flags.quiet) console.log(`${n}: ${s.image.replace(/@sha256:[a-f0-9]{64}$/, '')}@${digest}`);
      } catch (err) {
        failures.push(`service "${n}": image ${s.image} is not available to the swarm: ${(err as Error).message.split('\n')[0]}`);
      }
    }),
  );
  if (!failures.length) return;
  if (flags.ignorePullFailures) {
    for (const f of failures) report(`warning: ${f}`);
    return;
  }
  throw new UserError(failures.join('\n'));
}

/** `images` on a swarm: the image each service deploys and the nodes running its tasks. */
export async function swarmImages(ctx: Ctx, services: string[], flags: { quiet?: boolean; format?: string }): Promise<void> {
  const api = new SwarmApi(manager());
  const project = ctx.project.name;
  const selected = await stackServices(api, project, services);
  const [tasks, nodes] = await Promise.all([selected.length ? api.tasks({ service: selected.map((s) => s.ID) }) : [], api.nodes()]);
  const names = nodeNames(nodes);
  const rows = selected
    .map((s) => {
      const image = s.Spec!.TaskTemplate.ContainerSpec.Image ?? '';
      const at = image.indexOf('@');
      const running = tasks.filter((t) => t.ServiceID === s.ID && t.Status.State === 'running');
      return {
        service: s.Spec!.Name.slice(project.length + 1),
        image: at < 0 ? image : image.slice(0, at),
        digest: at < 0 ? '' : image.slice(at + 1),
        nodes: [...new Set(running.map((t) => names.get(t.NodeID ?? '') ?? t.NodeID ?? ''))].sort(),
      };
    })
    .sort((a, b) => byCodepoint(a.service, b.service));
  if (flags.quiet) {
    for (const d of new Set(rows.map((r) => r.digest || r.image))) console.log(d);
    return;
  }
  if (flags.format === 'json') {
    console.log(JSON.stringify(rows.map((r) => ({ Service: r.service, Image: r.image, Digest: r.digest, Nodes: r.nodes }))));
    return;
  }
  console.log(
    formatTable(
      ['SERVICE', 'IMAGE', 'DIGEST', 'NODES'],
      rows.map((r) => [r.service, r.image, r.digest || '-', r.nodes.join(',') || '-']),
    ),
  );
}
