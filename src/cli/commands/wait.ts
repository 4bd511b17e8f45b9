// `wait`: block until the services' containers stop; exits with the first container's exit code.
import type { Command } from 'commander';
import { commandContext } from '../context.js';
import { downProject, projectContainers } from '../../reconcile/index.js';

export function register(program: Command): void {
  program
    .command('wait')
    .description('Block until the first service container stops')
    .argument('<services...>', 'Services')
    .option('--down-project', 'Drops project when the first container stops')
    .action(async (services: string[], flags: { downProject?: boolean }, command: Command) => {
      const ctx = await commandContext(command, { projectOptional: true });
      const containers = await projectContainers(ctx, services);
      const first = await Promise.race(
        containers.map(async (c) => {
          const r = await ctx.engine.waitContainer(c.id);
          return { c, code: r.StatusCode };
        }),
      );
      console.log(`${first.c.name} exited with code ${first.code}`);
      if (flags.downProject) {
        try {
          await downProject(ctx, {});
        } finally {
          await ctx.progress.close();
        }
      }
      process.exitCode = first.code;
    });
}
