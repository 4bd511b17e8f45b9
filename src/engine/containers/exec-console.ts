// How the engine runs an exec: under the exec console (exec-console-script.ts), which holds its stdio or
// its terminal (resizable), outlives the engine and records the exit; where its perl has no system call
// numbers (another architecture), with the runtime in the foreground as before (under util-linux `script`
// for a terminal, which keeps the size it started with), tied to this engine.
import path from 'node:path';
import { underPty } from '../runtime/tty.js';
import { EXEC_CONSOLE_SCRIPT } from './exec-console-script.js';

/** The architectures whose system call numbers the perl code knows (console-holder.ts). */
const CONSOLE_ARCHES = new Set(['x64', 'arm64', 'riscv64']);

export interface ExecCommand {
  command: string;
  args: string[];
  /** fd 3 of the command takes `<rows> <columns>` lines */
  window: boolean;
  /** the command outlives the engine and writes the exit status to exitFile */
  survives: boolean;
}

/** Where the exec console writes an exec's exit status (a decimal number and a newline). */
export const execExitFile = (dir: string, id: string) => path.join(dir, `exec-${id}.exit`);

/** The files the exec console may leave in dir, to remove once the exit is read. */
export const execConsoleFiles = (dir: string, id: string) => [
  path.join(dir, `exec-${id}.pid`),
  path.join(dir, `exec-${id}.sock`),
  execExitFile(dir, id),
];

/** @param runtimeArgs the runtime's arguments for an exec, given the flags to put after `exec` */
export function execCommand(
  dir: string,
  id: string,
  tty: boolean,
  runtime: string,
  runtimeArgs: (execFlags: string[]) => string[],
): ExecCommand {
  if (!CONSOLE_ARCHES.has(process.arch)) {
    const foreground = tty ? underPty(runtime, runtimeArgs([])) : { command: runtime, args: runtimeArgs([]) };
    return { ...foreground, window: false, survives: false };
  }
  // the socket's name is relative to dir, where the console runs the runtime: a socket's path holds 107 bytes
  const flags = ['-d', ...(tty ? ['--console-socket', `exec-${id}.sock`] : []), '--pid-file', path.join(dir, `exec-${id}.pid`)];
  return {
    command: 'perl',
    args: ['-e', EXEC_CONSOLE_SCRIPT, dir, id, tty ? '1' : '0', runtime, ...runtimeArgs(flags)],
    window: tty,
    survives: true,
  };
}
