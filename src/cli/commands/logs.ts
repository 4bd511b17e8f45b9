// `logs`: output of the project's containers, prefixed per container.
import type { Command } from 'commander';
import { commandContext } from '../context.js';
import { projectContainers } from '../../reconcile/index.js';
import { printLogs, colourEnabled } from '../output/attach.js';

interface LogsFlags {
  follow?: boolean;
  tail?: string;
  since?: string;
  until?: string;
  timestamps?: boolean;
  color?: boolean;
  logPrefix?: boolean;
  index?: string;
}

export function register(program: Command): void {
  program
    .command('logs')
    .description('View output from containers')
    .argument('[services...]', 'Services (all when none are given)')
    .option('-f, --follow', 'Follow log output')
    .option('-n, --tail <lines>', 'Number of lines to show from the end of the logs for each container', 'all')
    .option('--since <time>', 'Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)')
    .option('--until <time>', 'Show logs before a timestamp or relative time')
    .option('-t, --timestamps', 'Show timestamps')
    .option('--no-color', 'Produce monochrome output')
    .option('--no-log-prefix', "Don't print prefix in logs")
    .option('--index <n>', 'Index of the container if the service has multiple replicas')
    .action(async (services: string[], flags: LogsFlags, command: Command) => {
      const ctx = await commandContext(command, { projectOptional: true });
      if (ctx.engineKind === 'swarm') return (await import('../../swarm/cli.js')).swarmLogs(ctx, services, flags);
      let containers = await projectContainers(ctx, services);
      if (flags.index) containers = containers.filter((c) => c.number === Number(flags.index));
      await Promise.all(
        printLogs(ctx.engine, ctx.project.name, containers, {
          follow: flags.follow,
          tail: flags.tail,
          since: flags.since,
          until: flags.until,
          timestamps: flags.timestamps,
          prefix: flags.logPrefix !== false,
          colour: colourEnabled(ctx.global.ansi, flags.color === false),
        }),
      );
    });
}
