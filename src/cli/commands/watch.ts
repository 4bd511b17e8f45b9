// `watch`: bring the services up (unless --no-up), then keep their containers in step with develop.watch.
import type { Command } from 'commander';
import chalk from 'chalk';
import { commandContext } from '../context.js';
import { upServices } from '../../reconcile/index.js';
import { startWatch, watchedServices } from '../../watch/index.js';
import { findServiceContainers } from '../../watch/containers.js';
import { UserError } from '../../errors.js';

interface WatchFlags {
  up?: boolean;
  prune?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('watch')
    .description('Watch build context for service and rebuild/refresh containers when files are updated')
    .argument('[services...]', 'Services to watch (default: every service with develop.watch)')
    .option('--no-up', 'Do not build & start services before watching')
    .option('--prune', 'Prune dangling images on rebuild')
    .option('--quiet', 'Hide build output')
    .action(async (requested: string[], flags: WatchFlags, command: Command) => {
      const ctx = await commandContext(command);
      const services = watchedServices(ctx.project, requested);
      if (ctx.global.dryRun) {
        for (const s of services) console.log(`DRY-RUN MODE - Watch ${s}`);
        return;
      }
      if (flags.up !== false) {
        try {
          await upServices(ctx, services, { quiet: flags.quiet });
        } finally {
          await ctx.progress.close();
        }
      } else {
        for (const s of services) {
          const running = (await findServiceContainers(ctx.engine, ctx.project.name, s)).some((c) => c.running);
          if (!running)
            throw new UserError(
              `service "${s}" has no running container; start the stack with "tscompose up -d" or run watch without --no-up`,
            );
        }
      }
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const stamp = () => chalk.dim(new Date().toISOString().slice(11, 23));
      const handle = await startWatch({
        project: ctx.project,
        engine: ctx.engine,
        engineKey: ctx.engineKey,
        services,
        prune: flags.prune,
        signal: stop.signal,
        log: (line) => process.stdout.write(`${stamp()} ${line}\n`),
      });
      await handle.ready;
      if (!stop.signal.aborted) await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
      await handle.close();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    });
}
