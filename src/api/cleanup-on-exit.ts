// Guaranteed cleanup: projects a run started are registered here until down() removes them; if the
// process exits first (a crash, a test timeout, Ctrl-C) a child process removes them synchronously, and if
// it dies without running any hook (SIGKILL, the OOM killer) the reaper it started does (reaper.ts).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import path from 'node:path';
import { ownLockDirectory } from '../reconcile/lock.js';
import { fileURLToPath } from 'node:url';
import type { CleanupRequest } from './cleanup-worker.js';
import type { ReaperMessage } from './reaper.js';

type Engine = CleanupRequest['engine'];
interface Registered {
  engine: Engine;
  name: string;
  removeVolumes: boolean;
  images: string[];
}

const registered = new Map<string, Registered>();
let hooksInstalled = false;

const key = (engine: Engine, name: string) => `${JSON.stringify(engine)}|${name}`;

/** `images`: images built for this run only, removed with it. */
export function registerForCleanup(engine: Engine, name: string, removeVolumes: boolean, images: string[] = []): void {
  installHooks();
  registered.set(key(engine, name), { engine, name, removeVolumes, images });
  tellReaper({ op: 'register', engine, name, removeVolumes, images });
}

export function unregisterForCleanup(engine: Engine, name: string): void {
  registered.delete(key(engine, name));
  tellReaper({ op: 'unregister', engine, name });
}

let reaper: ChildProcess | undefined;

/** Starts this process's reaper on first use: detached (its own session, so a signal to the test's process
 *  group spares it), holding only the read end of a pipe this process writes to, and not keeping this
 *  process alive. TSCOMPOSE_REAPER=0 turns it off. */
function tellReaper(msg: ReaperMessage): void {
  if (process.env.TSCOMPOSE_REAPER === '0') return;
  if (!reaper) {
    if (msg.op === 'unregister') return;
    // its output goes to a log file, not to this process's stderr: a test runner waits for every holder of that pipe
    const log = openSync(
      path.join(ownLockDirectory(), 'reaper.log'),
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
      0o600,
    );
    reaper = spawn(process.execPath, reaperArgs(), { detached: true, stdio: ['pipe', 'ignore', log] });
    closeSync(log);
    reaper.on('error', () => {
      reaper = undefined;
    });
    reaper.stdin!.on('error', () => {});
    reaper.unref();
    (reaper.stdin as unknown as { unref?: () => void }).unref?.();
  }
  reaper.stdin!.write(`${JSON.stringify(msg)}\n`);
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

/** A sibling module as a script: from dist plain JavaScript; from the TypeScript sources it needs tsx. */
function siblingScript(name: string): string[] {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.ts')) return ['--import', 'tsx', self.replace(/cleanup-on-exit\.ts$/, `${name}.ts`)];
  return [self.replace(/cleanup-on-exit\.js$/, `${name}.js`)];
}
const workerArgs = () => siblingScript('cleanup-worker');
const reaperArgs = () => siblingScript('reaper');

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    if (registered.size) cleanupRegisteredSync();
  });
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
