// `push`: push the images of services that have both `build:` and `image:` to their registries (as
// docker compose does). With --engine swarm the images are pushed from the local build engine.
import type { Command } from 'commander';
import { commandContext } from '../context.js';
import { selectServices } from '../../reconcile/index.js';
import { engineMessage } from '../../reconcile/engine-errors.js';
import { UserError } from '../../errors.js';
import type { EngineClient } from '../../client/engine-client.js';
import type { ProgressReporter } from '../../reconcile/progress.js';

/** Pushes `ref`; returns the digest the registry stored. */
export async function pushServiceImage(engine: EngineClient, service: string, ref: string, progress: ProgressReporter): Promise<string> {
  progress.update('Image', ref, 'Pushing');
  try {
    const { digest } = await engine.pushImage(ref, (line) => (progress.detail ? progress.detail(`${service}  ${line}`) : undefined));
    progress.update('Image', ref, 'Pushed', true);
    return digest;
  } catch (err) {
    progress.fail('Image', ref, (err as Error).message);
    throw new UserError(`service "${service}": image ${ref} cannot be pushed: ${engineMessage(err)}`);
  }
}

export function register(program: Command): void {
  program
    .command('push')
    .description('Push service images')
    .argument('[services...]', 'Services whose images to push')
    .option('--ignore-push-failures', 'Push what it can and ignore images with push failures')
    .option('--include-deps', 'Also push images of services declared as dependencies')
    .option('-q, --quiet', 'Push without printing progress information')
    .action(
      async (services: string[], flags: { ignorePushFailures?: boolean; includeDeps?: boolean; quiet?: boolean }, command: Command) => {
        const ctx = await commandContext(command);
        const names = selectServices(ctx.project, services, !flags.includeDeps).filter(
          (n) => ctx.project.services[n].build && ctx.project.services[n].image,
        );
        if (ctx.global.dryRun) {
          for (const n of names) console.log(`DRY-RUN MODE - Image ${ctx.project.services[n].image}  Push`);
          return;
        }
        const engine =
          ctx.engineKind === 'swarm' ? (await import('../../swarm/build-engine.js')).localBuildEngine() : Promise.resolve(ctx.engine);
        const errors: string[] = [];
        try {
          const local = await engine;
          await Promise.all(
            names.map(async (n) => {
              try {
                await pushServiceImage(local, n, ctx.project.services[n].image!, ctx.progress);
              } catch (err) {
                if (!flags.ignorePushFailures) throw err;
                errors.push((err as Error).message);
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
