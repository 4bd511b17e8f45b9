// `kill`: Force stop service containers
import type { Command } from 'commander';
import { commandContext } from '../context.js';
import { runLifecycle } from '../../reconcile/index.js';

export function register(program: Command): void {
  program
    .command('kill')
    .description('Force stop service containers')
    .argument('[services...]', 'Services (all when none are given)')
    .option('-s, --signal <signal>', 'SIGNAL to send to the container', 'SIGKILL')
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .action(async (services: string[], flags: Record<string, string | boolean | undefined>, command: Command) => {
      const ctx = await commandContext(command, { projectOptional: true });
      if (ctx.global.dryRun) { console.log('DRY-RUN MODE - kill ' + (services.join(', ') || 'all services')); return; }
      try {
        await runLifecycle(ctx, 'kill', services, { signal: String(flags.signal) });
      } finally {
        await ctx.progress.close();
      }
    });
}
