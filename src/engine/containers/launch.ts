// How the supervisor runs one container, whichever way it is launched (launch-foreground.ts,
// launch-reaper.ts): the container's output streams, its stdin when kept open, and its end.
import type { Readable, Writable } from 'node:stream';
import path from 'node:path';
import { containerLayout } from './layout.js';

/** What the engine asks the supervisor to run: a container of its state root, by id. */
export interface SupervisorJob {
  id: string;
  openStdin: boolean;
  tty: boolean;
}

/** The files of one job: all under the state root the supervisor serves. */
export const jobPaths = (root: string, id: string) => {
  const layout = containerLayout(path.join(root, 'containers', id));
  return { dir: layout.dir, bundle: layout.bundle, logPath: layout.log, runtimeRoot: path.join(root, 'runc') };
};
export type Job = SupervisorJob & ReturnType<typeof jobPaths>;
export const exitFile = (dir: string) => path.join(dir, 'exit.json');
export const pidFile = (dir: string) => path.join(dir, 'pid');
export const runtimeLog = (dir: string) => path.join(dir, 'runc.log');

/** The runtime's arguments to run a job's container, in the foreground or detached (`-d`). */
export const runtimeRunArgs = (job: Job, detached: boolean): string[] => [
  '--root',
  job.runtimeRoot,
  '--log',
  runtimeLog(job.dir),
  '--log-format',
  'json',
  'run',
  ...(detached ? ['-d'] : []),
  '--pid-file',
  pidFile(job.dir),
  '--bundle',
  job.bundle,
  job.id,
];

export interface Ended {
  code: number;
  /** the code is the runtime's own exit status (it may have failed to start the container), not the container's */
  runtimeExit: boolean;
}

export interface Launched {
  /** the process the supervisor started for the container (the runtime, or what runs it) */
  runtimePid: number;
  stdout: Readable;
  stderr: Readable;
  /** the container's stdin, when it is kept open (OpenStdin, or a terminal) */
  stdin?: Writable;
  endStdin(): void;
  /** sets the terminal's window size (a terminal container whose console is held here) */
  resize?(rows: number, columns: number): void;
  /** the container's end; its output streams close once everything it wrote has been read */
  ended: Promise<Ended>;
}

export interface Launcher {
  readonly mode: 'reaper' | 'foreground';
  launch(job: Job): Promise<Launched>;
}
