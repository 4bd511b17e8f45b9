// `build`: build the images of services that have `build:`.
import type { Command } from 'commander';
import { commandContext } from '../context.js';
import { buildService, selectServices, serviceImage } from '../../reconcile/index.js';

export function register(program: Command): void {
  program
    .command('build')
    .description('Build or rebuild services')
    .argument('[services...]', 'Services to build')
    .option('--build-arg <key=value>', 'Set build-time variables for services (repeatable)', (v: string, p: string[] = []) => [...p, v])
    .option('--no-cache', 'Do not use cache when building the image')
    .option('--pull', 'Always attempt to pull a newer version of the image')
    .option('-q, --quiet', "Don't print anything to STDOUT")
    .option('--with-dependencies', 'Also build dependencies (transitively)')
    .action(
      async (
        services: string[],
        flags: { buildArg?: string[]; cache?: boolean; pull?: boolean; quiet?: boolean; withDependencies?: boolean },
        command: Command,
      ) => {
        const ctx = await commandContext(command);
        // on a swarm, images are built on this machine's build engine (then `push` sends them to the registry)
        const engine = ctx.engineKind === 'swarm' ? await (await import('../../swarm/build-engine.js')).localBuildEngine() : ctx.engine;
        const names = selectServices(ctx.project, services, !flags.withDependencies).filter((n) => ctx.project.services[n].build);
        if (ctx.global.dryRun) {
          for (const n of names) console.log(`DRY-RUN MODE - Image ${serviceImage(ctx.project.name, ctx.project.services[n])}  Build`);
          return;
        }
        const extraArgs = Object.fromEntries(
          (flags.buildArg ?? []).map((a) => {
            const i = a.indexOf('=');
            return i < 0 ? [a, process.env[a] ?? null] : [a.slice(0, i), a.slice(i + 1)];
          }),
        );
        const build = (n: string) => {
          const s = ctx.project.services[n];
          const service = {
            ...s,
            build: {
              ...s.build!,
              args: { ...s.build!.args, ...extraArgs },
              noCache: flags.cache === false || s.build!.noCache,
              pull: flags.pull || s.build!.pull,
            },
          };
          return buildService(engine, ctx.project, service, ctx.progress);
        };
        // images other builds use as a named context (additional_contexts: service:x) are built first
        const used = new Set(
          names
            .flatMap((n) => Object.values(ctx.project.services[n].build?.additionalContexts ?? {}))
            .filter((v) => v.startsWith('service:'))
            .map((v) => v.slice('service:'.length)),
        );
        try {
          await Promise.all(names.filter((n) => used.has(n)).map(build));
          await Promise.all(names.filter((n) => !used.has(n)).map(build));
        } finally {
          await ctx.progress.close();
        }
      },
    );
}
