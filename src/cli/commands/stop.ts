// `stop`: Stop services
import type { Command } from 'commander';
import { commandContext } from '../context.js';
import { runLifecycle } from '../../reconcile/index.js';

export function register(program: Command): void {
  program
    .command('stop')
    .description('Stop services')
    .argument('[services...]', 'Services (all when none are given)')
    .option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds')
    .action(async (services: string[], flags: Record<string, string | boolean | undefined>, command: Command) => {
      const ctx = await commandContext(command, { projectOptional: true });
      if (ctx.global.dryRun) { console.log('DRY-RUN MODE - stop ' + (services.join(', ') || 'all services')); return; }
      try {
        await runLifecycle(ctx, 'stop', services, { timeout: flags.timeout === undefined ? undefined : Number(flags.timeout) });
      } finally {
        await ctx.progress.close();
      }
    });
}
