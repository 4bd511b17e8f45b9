// `start`: Start services
import type { Command } from 'commander';
import { commandContext } from '../context.js';
import { runLifecycle } from '../../reconcile/index.js';

export function register(program: Command): void {
  program
    .command('start')
    .description('Start services')
    .argument('[services...]', 'Services (all when none are given)')
    .action(async (services: string[], flags: Record<string, string | boolean | undefined>, command: Command) => {
      const ctx = await commandContext(command, { projectOptional: true });
      if (ctx.global.dryRun) { console.log('DRY-RUN MODE - start ' + (services.join(', ') || 'all services')); return; }
      try {
        await runLifecycle(ctx, 'start', services, {});
      } finally {
        await ctx.progress.close();
      }
    });
}
