// `create`: like `up --no-start`.
import type { Command } from 'commander';
import { commandContext } from '../context.js';
import { upServices } from '../../reconcile/index.js';
import { upOptions } from './up.js';

export function register(program: Command): void {
  program
    .command('create')
    .description('Creates containers for a service')
    .argument('[services...]', 'Services to create')
    .option('--build', 'Build images before starting containers')
    .option('--no-build', "Don't build an image, even if it's missing")
    .option('--pull <policy>', 'Pull image before running ("always"|"missing"|"never")', 'policy')
    .option('--force-recreate', "Recreate containers even if their configuration and image haven't changed")
    .option('--no-recreate', "If containers already exist, don't recreate them")
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .option('--scale <service=num>', 'Scale SERVICE to NUM instances (repeatable)', (v: string, p: string[] = []) => [...p, v])
    .action(async (services: string[], flags: Record<string, never>, command: Command) => {
      const ctx = await commandContext(command);
      try {
        const result = await upServices(ctx, services, { ...upOptions(flags, services, ctx.global.dryRun), noStart: true });
        for (const line of result.dryRun) console.log(`DRY-RUN MODE - ${line}`);
      } finally {
        await ctx.progress.close();
      }
    });
}
