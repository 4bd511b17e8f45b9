// `ps`: the project's containers, as a table, JSON lines, names only (-q) or service names.
import type { Command } from 'commander';
import { collect } from '../global-options.js';
import type { ContainerSummary } from '../../client/engine-client.js';
import { commandContext } from '../context.js';
import { observeContainers } from '../../reconcile/index.js';
import { projectFilter } from '../../labels.js';
import { formatTable, ago } from '../output/table.js';
import { UserError } from '../../errors.js';

interface PsFlags {
  all?: boolean;
  quiet?: boolean;
  services?: boolean;
  status?: string[];
  format?: string;
  filter?: string;
  orphans?: boolean;
}

const STATUSES = ['paused', 'restarting', 'removing', 'running', 'dead', 'created', 'exited'];

export function formatPorts(ports: ContainerSummary['Ports']): string {
  const seen = new Set<string>();
  return ports
    .map((p) =>
      p.PublicPort
        ? `${p.IP === '::' ? '[::]' : (p.IP ?? '0.0.0.0')}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`
        : `${p.PrivatePort}/${p.Type}`,
    )
    .filter((s) => (seen.has(s) ? false : (seen.add(s), true)))
    .join(', ');
}

export function register(program: Command): void {
  program
    .command('ps')
    .description('List containers')
    .argument('[services...]', 'Services to list')
    .option('-a, --all', 'Show all stopped containers (including those created by the run command)')
    .option('-q, --quiet', 'Only display IDs')
    .option('--services', 'Display services')
    .option('--status <status>', `Filter services by status: ${STATUSES.join(', ')} (repeatable)`, collect)
    .option('--filter <filter>', 'Filter services by a property (status=running)')
    .option('--format <format>', 'Format the output: table or json', 'table')
    .action(async (services: string[], flags: PsFlags, command: Command) => {
      const ctx = await commandContext(command, { projectOptional: true });
      if (ctx.engineKind === 'swarm') return (await import('../../swarm/cli.js')).swarmPs(ctx, services, flags);
      const statuses = [...(flags.status ?? [])];
      if (flags.filter) {
        const m = /^status=(.+)$/.exec(flags.filter);
        if (!m) throw new UserError(`invalid --filter "${flags.filter}": only status=<status> is supported`);
        statuses.push(m[1]);
      }
      for (const s of statuses) if (!STATUSES.includes(s)) throw new UserError(`invalid status "${s}": use one of ${STATUSES.join(', ')}`);
      const list = await ctx.engine.listContainers({ all: true, filters: projectFilter(ctx.project.name) });
      const observed = await observeContainers(ctx.engine, ctx.project.name, { all: true });
      const byId = new Map(list.map((c) => [c.Id, c]));
      const rows = observed.filter(
        (c) =>
          (!services.length || services.includes(c.service)) &&
          (flags.all || statuses.length || c.state === 'running' || c.state === 'paused' || c.state === 'restarting') &&
          (flags.all || !c.oneoff || c.state === 'running') &&
          (!statuses.length || statuses.includes(c.state)),
      );
      if (flags.services) {
        for (const s of [...new Set(rows.map((r) => r.service))]) console.log(s);
        return;
      }
      if (flags.quiet) {
        for (const r of rows) console.log(r.id);
        return;
      }
      if (flags.format === 'json') {
        for (const r of rows) {
          const info = byId.get(r.id)!;
          console.log(
            JSON.stringify({
              Command: info.Command,
              CreatedAt: new Date(info.Created * 1000).toISOString(),
              ExitCode: exitCode(r.status),
              Health: /\((healthy|unhealthy|health: starting)\)/.exec(r.status)?.[1]?.replace('health: ', '') ?? '',
              ID: r.id,
              Image: info.Image,
              Labels: r.labels,
              Name: r.name,
              Names: r.name,
              Project: ctx.project.name,
              Publishers: info.Ports.map((p) => ({
                URL: p.IP ?? '',
                TargetPort: p.PrivatePort,
                PublishedPort: p.PublicPort ?? 0,
                Protocol: p.Type,
              })),
              Service: r.service,
              State: r.state,
              Status: r.status,
            }),
          );
        }
        return;
      }
      if (flags.format !== 'table') throw new UserError(`invalid --format "${flags.format}": use table or json`);
      console.log(
        formatTable(
          ['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'PORTS'],
          rows.map((r) => {
            const info = byId.get(r.id)!;
            const cmd = info.Command.length > 20 ? `${info.Command.slice(0, 19)}…` : info.Command;
            return [r.name, info.Image, `"${cmd}"`, r.service, ago(info.Created), r.status, formatPorts(info.Ports)];
          }),
        ),
      );
    });
}

const exitCode = (status: string) => Number(/Exited \((\d+)\)/.exec(status)?.[1] ?? 0);
