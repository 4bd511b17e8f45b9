// Starts the bundled engine in the background when its socket does not answer (start-engine.ts): one
// detached `tscompose engine` process logging to the state root, guarded by a lock file so two CLIs
// never start two engines, then waits until /_ping answers.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { UserError } from '../errors.js';
import { enginePaths } from '../engine/paths.js';
import { detectRuntimeBinary } from '../engine/runtime/oci-runtime.js';
import { pingEngine } from './start-engine.js';

const ownExt = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const CLI_MAIN = fileURLToPath(new URL(`../cli/main${ownExt}`, import.meta.url));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Takes the start lock; false when another live process holds it (it is starting the engine). */
function takeLock(lock: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lock, 'utf8').trim());
      if (holder && alive(holder)) return false;
      rmSync(lock, { force: true }); // stale lock from a CLI that died
    }
  }
  return false;
}

function loaderArgs(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--import' && argv[i + 1]) out.push(argv[i]!, argv[++i]!);
  }
  return out;
}

/** Starts the engine, whose socket did not answer, and waits until it does. */
export async function startEngine(opts: { root: string; socket: string; timeoutMs?: number }): Promise<void> {
  if (process.getuid && process.getuid() !== 0) {
    throw new UserError(
      `the bundled engine is not running (${opts.socket}) and only root can start it: run as root, start it with "sudo tscompose engine", or use --engine docker`,
    );
  }
  detectRuntimeBinary();
  const paths = enginePaths(opts.root);
  mkdirSync(paths.root, { recursive: true });
  const deadline = Date.now() + (opts.timeoutMs ?? 20000);
  let exitedWith: string | undefined;
  if (takeLock(paths.lock)) {
    try {
      if (await pingEngine(opts.socket)) return;
      const log = openSync(paths.output, 'a');
      const child = spawn(process.execPath, [...loaderArgs(), CLI_MAIN, 'engine', '--root', opts.root, '--socket', opts.socket], {
        detached: true,
        stdio: ['ignore', log, log],
      });
      closeSync(log);
      child.on('exit', (code) => {
        exitedWith = `exit code ${code}`;
      });
      child.unref();
      while (Date.now() < deadline && !exitedWith) {
        if (await pingEngine(opts.socket, 500)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      rmSync(paths.lock, { force: true });
    }
  } else {
    while (Date.now() < deadline) {
      if (await pingEngine(opts.socket, 500)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  let tail = '';
  try {
    tail = readFileSync(paths.output, 'utf8').trim().split('\n').slice(-3).join(' ');
  } catch {
    /* no output */
  }
  throw new UserError(
    `the bundled engine did not start (${exitedWith ?? 'timed out'}); see ${path.resolve(paths.output)} and ${path.resolve(paths.log)}${tail ? `: ${tail}` : ''}`,
  );
}
