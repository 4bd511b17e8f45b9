// `tscompose engine`: runs the bundled engine in the foreground until SIGINT/SIGTERM.
// Containers keep running when it stops; the next engine on the same state root adopts them.
import { UserError } from '../errors.js';
import { startEngine } from './engine.js';
import { createLogger } from './log.js';
import { enginePaths } from './paths.js';

export interface DaemonOptions {
  root: string;
  socket: string;
}

export async function runDaemon(opts: DaemonOptions): Promise<void> {
  if (process.getuid && process.getuid() !== 0)
    throw new UserError(
      'the bundled engine needs root (it mounts filesystems and runs containers with runc): run it as root or use --engine docker',
    );
  // A promise nobody awaited failed: a bug to fix (the log says where), but not one that may take every
  // container's published ports and clients down with the engine, as node's default (exit) would.
  const logFile = enginePaths(opts.root).log;
  const log = createLogger({ file: logFile });
  process.on('unhandledRejection', (reason) => {
    log.error(`unhandled rejection (a bug, please report it): ${(reason as Error)?.stack ?? String(reason)}`);
  });
  let engine;
  try {
    engine = await startEngine({ root: opts.root, socketPath: opts.socket, log });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UserError(`the engine socket ${opts.socket} is in use`);
    throw err;
  }
  console.log(`tscompose engine listening on unix://${opts.socket} (state in ${opts.root}; log in ${logFile})`);
  log.info('engine started', { socket: opts.socket });
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await engine.close({ stopSupervisor: true }); // the supervisor stays while containers run
  log.info('engine stopped; containers keep running');
  console.log('tscompose engine stopped; containers keep running');
}
