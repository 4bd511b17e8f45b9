// develop.watch: `startWatch` keeps running containers in step with the host files of their services.
// Used by `tscompose watch` and `tscompose up --watch`.
import { EventEmitter } from 'node:events';
import { UserError } from '../errors.js';
import type { Project } from '../model/types.js';
import { reconcileRebuilder } from './reconcile-rebuilder.js';
import { ServiceWatch } from './service-watch.js';
import type { ActionEvent, StartWatchOptions, WatchHandle } from './types.js';

export type { ActionEvent, ServiceRebuilder, StartWatchOptions, WatchHandle, WatchEvents } from './types.js';
export { reconcileRebuilder } from './reconcile-rebuilder.js';

/** The services to watch: the named ones (each must have develop.watch), or all that have rules. */
export function watchedServices(project: Project, requested?: string[]): string[] {
  if (requested && requested.length > 0) {
    for (const name of requested) {
      const service = project.services[name];
      if (!service) throw new UserError(`no such service: ${name}`);
      if (!service.develop?.watch.length)
        throw new UserError(`service "${name}" has no develop.watch rules; add a "develop: watch:" section to it to use watch`);
    }
    return requested;
  }
  const names = Object.values(project.services)
    .filter((s) => s.develop?.watch.length)
    .map((s) => s.name);
  if (names.length === 0)
    throw new UserError('none of the selected services is configured for watch; add a "develop: watch:" section to a service');
  return names;
}

function checkRules(project: Project, services: string[]): void {
  for (const name of services) {
    const service = project.services[name]!;
    for (const rule of service.develop!.watch) {
      if (rule.action === 'rebuild' && !service.build)
        throw new UserError(`service "${name}" has a develop.watch rule with action "rebuild" but no "build" section to rebuild from`);
      if (rule.action.startsWith('sync') && !rule.target)
        throw new UserError(`service "${name}" has a develop.watch rule with action "${rule.action}" for ${rule.path} but no "target"`);
      if (rule.action === 'sync+exec' && !rule.exec?.command.length)
        throw new UserError(`service "${name}" has a develop.watch rule with action "sync+exec" but no "exec.command"`);
    }
  }
}

/**
 * Starts watching. `up --watch` may call it as `startWatch(commandContext, services)`: then the watchers do not
 * keep the process alive by themselves (the attached logs do), unless `persistent` says otherwise.
 */
export async function startWatch(opts: StartWatchOptions, services?: string[]): Promise<WatchHandle> {
  if (services !== undefined) opts = { persistent: false, ...opts, services };
  return watch(opts);
}

async function watch(opts: StartWatchOptions): Promise<WatchHandle> {
  const services = watchedServices(opts.project, opts.services);
  checkRules(opts.project, services);
  const log = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const emitter = new EventEmitter();
  const rebuilder =
    opts.rebuilder ?? reconcileRebuilder(opts.engine, opts.engineKey ?? `docker:${process.env.DOCKER_HOST ?? '/var/run/docker.sock'}`);
  const watches = services.map(
    (name) =>
      new ServiceWatch({
        project: opts.project,
        service: opts.project.services[name]!,
        engine: opts.engine,
        rebuilder,
        log,
        emit: (event: ActionEvent) => emitter.emit('action', event),
        prune: opts.prune ?? false,
        debounceMs: opts.debounceMs ?? 50,
        maxWaitMs: opts.maxWaitMs ?? 1000,
        persistent: opts.persistent ?? true,
      }),
  );

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= Promise.all(watches.map((w) => w.close())).then(() => undefined));
  opts.signal?.addEventListener(
    'abort',
    () => {
      void close();
    },
    { once: true },
  );

  const ready = Promise.all(watches.map((w) => w.start())).then(() => {
    log(`watching ${services.join(', ')} for changes`);
  });
  ready.catch(() => {
    void close();
  });

  return {
    ready,
    idle: async () => {
      await ready;
      await Promise.all(watches.map((w) => w.idle()));
    },
    events: {
      on(listener: (event: ActionEvent) => void) {
        emitter.on('action', listener);
        return () => {
          emitter.off('action', listener);
        };
      },
    },
    close,
  };
}
