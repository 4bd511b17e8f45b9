// `up`: build/pull, create and start the stack; attached by default, streaming every service's logs.
import type { Command } from 'commander';
import { collect } from '../global-options.js';
import { commandContext, type CommandContext } from '../context.js';
import { upServices, runLifecycle, observeContainers, type UpOptions, type ObservedContainer } from '../../reconcile/index.js';
import type { RunEnd } from '../output/log-stream.js';
import { createProgress } from '../output/progress.js';
import { UserError } from '../../errors.js';

export interface UpFlags {
  detach?: boolean;
  build?: boolean;
  noBuild?: boolean;
  pull?: string;
  wait?: boolean;
  waitTimeout?: string;
  forceRecreate?: boolean;
  recreate?: boolean;
  deps?: boolean;
  removeOrphans?: boolean;
  abortOnContainerExit?: boolean;
  exitCodeFrom?: string;
  scale?: string[];
  start?: boolean;
  timeout?: string;
  attach?: string[];
  noAttach?: string[];
  logPrefix?: boolean;
  color?: boolean;
  watch?: boolean;
  quietPull?: boolean;
  attachDependencies?: boolean;
}

export function parseScale(entries: string[] = []): Record<string, number> {
  const scale: Record<string, number> = {};
  for (const e of entries) {
    const m = /^([^=]+)=(\d+)$/.exec(e);
    if (!m) throw new UserError(`invalid --scale "${e}": use SERVICE=NUM, e.g. --scale web=3`);
    scale[m[1]] = Number(m[2]);
  }
  return scale;
}

const seconds = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UserError(`invalid ${flag} "${v}": expected a number of seconds`);
  return n;
};

export function upOptions(flags: UpFlags, services: string[], dryRun?: boolean): UpOptions {
  if (flags.build && flags.noBuild) throw new UserError('--build and --no-build cannot be combined');
  if (flags.forceRecreate && flags.recreate === false) throw new UserError('--force-recreate and --no-recreate cannot be combined');
  const pull = flags.pull as UpOptions['pull'] | undefined;
  if (pull && !['always', 'missing', 'never', 'policy'].includes(pull))
    throw new UserError(`invalid --pull "${pull}": use always, missing, never or policy`);
  return {
    services,
    dryRun,
    build: flags.build,
    noBuild: flags.noBuild,
    pull,
    forceRecreate: flags.forceRecreate,
    noRecreate: flags.recreate === false,
    noDeps: flags.deps === false,
    removeOrphans: flags.removeOrphans,
    scale: parseScale(flags.scale),
    noStart: flags.start === false,
    timeout: seconds(flags.timeout, '--timeout'),
    wait: flags.wait,
    waitTimeoutSeconds: seconds(flags.waitTimeout, '--wait-timeout'),
  };
}

export function register(program: Command): void {
  program
    .command('up')
    .description('Create and start containers')
    .argument('[services...]', 'Services to start (with their dependencies)')
    .option('-d, --detach', 'Detached mode: run containers in the background')
    .option('--build', 'Build images before starting containers')
    .option('--no-build', "Don't build an image, even if it's missing")
    .option('--pull <policy>', 'Pull image before running ("always"|"missing"|"never")', 'policy')
    .option('--quiet-pull', 'Pull without printing progress information')
    .option('--wait', 'Wait for services to be running|healthy. Implies detached mode')
    .option('--wait-timeout <seconds>', 'Maximum duration to wait for the project to be running|healthy')
    .option('--force-recreate', "Recreate containers even if their configuration and image haven't changed")
    .option('--no-recreate', "If containers already exist, don't recreate them")
    .option('--no-deps', "Don't start linked services")
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .option('--abort-on-container-exit', 'Stops all containers if any container was stopped')
    .option('--exit-code-from <service>', 'Return the exit code of the selected service container')
    .option('--scale <service=num>', 'Scale SERVICE to NUM instances (repeatable)', collect)
    .option('--no-start', "Don't start the services after creating them")
    .option('-t, --timeout <seconds>', 'Shutdown timeout in seconds')
    .option('--attach <service>', 'Restrict attaching to the specified services (repeatable)', collect)
    .option('--no-attach <service>', 'Do not attach (stream logs) to the specified services (repeatable)', collect)
    .option('--no-log-prefix', "Don't print prefix in logs")
    .option('--no-color', 'Produce monochrome output')
    .option('--watch', 'Watch source code and rebuild/refresh containers when files are updated')
    .action(async (services: string[], flags: UpFlags, command: Command) => {
      const ctx = await commandContext(command);
      if (ctx.engineKind === 'swarm')
        return (await import('../../swarm/cli.js')).swarmUp(ctx, flags, upOptions(flags, services, ctx.global.dryRun));
      const dryRun = ctx.global.dryRun;
      const opts = upOptions(flags, services, dryRun);
      const detach = flags.detach || flags.wait || flags.start === false;
      if (detach && (flags.abortOnContainerExit || flags.exitCodeFrom))
        throw new UserError('--abort-on-container-exit and --exit-code-from cannot be combined with --detach or --wait');
      if (detach && flags.watch)
        throw new UserError('--watch cannot be combined with --detach, --wait or --no-start: watching needs the attached session');
      if (flags.exitCodeFrom && !ctx.project.services[flags.exitCodeFrom])
        throw new UserError(`--exit-code-from: no such service "${flags.exitCodeFrom}"`);
      const startedAt = Math.floor(Date.now() / 1000);
      try {
        const result = await upServices(ctx, services, opts);
        await ctx.progress.close();
        if (dryRun) {
          for (const line of result.dryRun) console.log(`DRY-RUN MODE - ${line}`);
          return;
        }
      } catch (err) {
        await ctx.progress.close();
        throw err;
      }
      if (flags.watch) await startWatchHook(ctx, services);
      if (detach) return;
      process.exitCode = await attach(ctx, services, flags, startedAt);
    });
}

// Hook for the watch engineer (src/watch): when src/watch/index.ts exports startWatch, `up --watch` calls it.
async function startWatchHook(ctx: CommandContext, services: string[]): Promise<void> {
  const spec = '../../watch/index.js';
  let mod: { startWatch?: (ctx: CommandContext, services: string[]) => Promise<unknown> | unknown } | undefined;
  try {
    mod = await import(spec);
  } catch {
    mod = undefined;
  }
  if (!mod?.startWatch) {
    process.stderr.write('watch is not available in this build; continuing without it\n');
    return;
  }
  await mod.startWatch(ctx, services);
}

/** Attached mode: stream logs until the containers exit or Ctrl-C; returns the process exit code. */
async function attach(ctx: CommandContext, services: string[], flags: UpFlags, since: number): Promise<number> {
  // log streaming and its colours (chalk) are loaded by the up that attaches, not by `up -d`
  const [{ printLogs, colourEnabled }, { displayName }] = await Promise.all([
    import('../output/attach.js'),
    import('../output/log-prefix.js'),
  ]);
  const { engine, project } = ctx;
  const all = await observeContainers(engine, project.name, { oneoff: false });
  const attachTo = flags.attach?.length
    ? flags.attach
    : (services.length ? services : Object.keys(project.services)).filter((s) => project.services[s]?.attach !== false);
  const containers = all.filter((c) => attachTo.includes(c.service) && !(flags.noAttach ?? []).includes(c.service));
  process.stdout.write(`Attaching to ${containers.map((c) => displayName(project.name, c.name)).join(', ')}\n`);

  const abort = flags.abortOnContainerExit || !!flags.exitCodeFrom;
  let exitCode = 0;
  let stopping: Promise<unknown> | undefined;
  let interrupts = 0;
  const stopAll = async (kill: boolean) => {
    const progress = createProgress(ctx.global);
    await runLifecycle({ ...ctx, progress }, kill ? 'kill' : 'stop', [], { timeout: seconds(flags.timeout, '--timeout') }).catch(() => {});
    await progress.close();
  };
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('Gracefully stopping... (press Ctrl+C again to force)\n');
      exitCode = 130;
      stopping = stopAll(false);
    } else {
      stopping = stopAll(true);
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  const onExit = (c: ObservedContainer, end: RunEnd) => {
    process.stdout.write(`${displayName(project.name, c.name)} exited with code ${end.exitCode}\n`);
    // a container its restart policy brings back is followed again (printLogs): it has not ended yet
    if (end.restarting) return;
    if (flags.exitCodeFrom === c.service) exitCode = end.exitCode;
    if (abort && !stopping) {
      if (!flags.exitCodeFrom) exitCode = end.exitCode;
      process.stderr.write('Aborting on container exit...\n');
      stopping = stopAll(false);
    }
  };
  const opts = {
    follow: true,
    since: String(since),
    prefix: flags.logPrefix !== false,
    colour: colourEnabled(ctx.global.ansi, flags.color === false),
  };
  const done = printLogs(engine, project.name, containers, opts, onExit, () => stopping !== undefined);
  await Promise.all(done);
  await stopping;
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigint);
  return exitCode;
}
