// `pull`: pull the images of services that name one.
import type { Command } from 'commander';
import { commandContext } from '../context.js';
import { pullImage, selectServices, serviceImage } from '../../reconcile/index.js';

export function register(program: Command): void {
  program
    .command('pull')
    .description('Pull service images')
    .argument('[services...]', 'Services whose images to pull')
    .option('--ignore-buildable', 'Ignore images that can be built')
    .option('--ignore-pull-failures', 'Pull what it can and ignores images with pull failures')
    .option('--include-deps', 'Also pull services declared as dependencies')
    .option('-q, --quiet', 'Pull without printing progress information')
    .action(
      async (
        services: string[],
        flags: { ignoreBuildable?: boolean; ignorePullFailures?: boolean; includeDeps?: boolean; quiet?: boolean },
        command: Command,
      ) => {
        const ctx = await commandContext(command);
        if (ctx.engineKind === 'swarm') return (await import('../../swarm/cli.js')).swarmPull(ctx, services, flags);
        const names = selectServices(ctx.project, services, !flags.includeDeps);
        const targets = new Map<string, string>();
        for (const n of names) {
          const s = ctx.project.services[n];
          if (!s.image || (flags.ignoreBuildable && s.build)) continue;
          targets.set(serviceImage(ctx.project.name, s), n);
        }
        if (ctx.global.dryRun) {
          for (const ref of targets.keys()) console.log(`DRY-RUN MODE - Image ${ref}  Pull`);
          return;
        }
        const errors: string[] = [];
        try {
          await Promise.all(
            [...targets].map(async ([ref, svc]) => {
              try {
                await pullImage(ctx.engine, svc, ref, ctx.progress);
              } catch (err) {
                const s = ctx.project.services[svc];
                if (flags.ignorePullFailures || s.build) {
                  errors.push((err as Error).message);
                  return;
                }
                throw err;
              }
            }),
          );
        } finally {
          await ctx.progress.close();
        }
        for (const e of errors) process.stderr.write(`warning: ${e}\n`);
      },
    );
}
