// Guaranteed cleanup: projects a run started are registered here until down() removes them; if the
// process exits first (a crash, a test timeout, Ctrl-C) a child process removes them synchronously.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CleanupRequest } from './cleanup-worker.js';

type Engine = CleanupRequest['engine'];
interface Registered { engine: Engine; name: string; removeVolumes: boolean; images: string[] }

const registered = new Map<string, Registered>();
let hooksInstalled = false;

const key = (engine: Engine, name: string) => `${JSON.stringify(engine)}|${name}`;

/** `images`: images built for this run only, removed with it. */
export function registerForCleanup(engine: Engine, name: string, removeVolumes: boolean, images: string[] = []): void {
  installHooks();
  registered.set(key(engine, name), { engine, name, removeVolumes, images });
}

export function unregisterForCleanup(engine: Engine, name: string): void {
  registered.delete(key(engine, name));
}

export function registeredProjects(): string[] {
  return [...registered.values()].map((r) => r.name);
}

/** Synchronously removes every registered project (one child process per engine). */
export function cleanupRegisteredSync(): void {
  const byEngine = new Map<string, CleanupRequest>();
  for (const r of registered.values()) {
    const k = JSON.stringify(r.engine);
    if (!byEngine.has(k)) byEngine.set(k, { engine: r.engine, projects: [] });
    byEngine.get(k)!.projects.push({ name: r.name, removeVolumes: r.removeVolumes, images: r.images });
  }
  registered.clear();
  for (const request of byEngine.values()) {
    spawnSync(process.execPath, [...workerArgs(), JSON.stringify(request)], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60_000 });
  }
}

/** From dist the worker is plain JavaScript; from the TypeScript sources it needs tsx. */
function workerArgs(): string[] {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.ts')) return ['--import', 'tsx', self.replace(/cleanup-on-exit\.ts$/, 'cleanup-worker.ts')];
  return [self.replace(/cleanup-on-exit\.js$/, 'cleanup-worker.js')];
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => { if (registered.size) cleanupRegisteredSync(); });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      if (registered.size) cleanupRegisteredSync();
      // re-raise so the process still dies of the signal when nobody else handles it
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}
