// `down`: stop and remove containers and networks (and volumes with -v, images with --rmi).
import type { Command } from 'commander';
import { commandContext } from '../context.js';
import { downProject } from '../../reconcile/index.js';
import { UserError } from '../../errors.js';

export function register(program: Command): void {
  program
    .command('down')
    .description('Stop and remove containers, networks')
    .option('-v, --volumes', 'Remove named volumes declared in the "volumes" section and anonymous volumes attached to containers')
    .option('--rmi <type>', 'Remove images used by services: "local" (only images without a custom tag) or "all"')
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .option('-t, --timeout <seconds>', 'Shutdown timeout in seconds')
    .action(async (flags: { volumes?: boolean; rmi?: string; removeOrphans?: boolean; timeout?: string }, command: Command) => {
      if (flags.rmi && flags.rmi !== 'all' && flags.rmi !== 'local')
        throw new UserError(`invalid --rmi "${flags.rmi}": use "local" or "all"`);
      const ctx = await commandContext(command, { projectOptional: true });
      if (ctx.engineKind === 'swarm') return (await import('../../swarm/cli.js')).swarmDown(ctx, flags);
      try {
        const lines = await downProject(ctx, {
          volumes: flags.volumes,
          rmi: flags.rmi as 'all' | 'local' | undefined,
          removeOrphans: flags.removeOrphans,
          timeout: flags.timeout === undefined ? undefined : Number(flags.timeout),
          dryRun: ctx.global.dryRun,
        });
        for (const line of lines) console.log(`DRY-RUN MODE - ${line}`);
      } finally {
        await ctx.progress.close();
      }
    });
}
