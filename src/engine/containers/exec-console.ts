// How the engine runs an exec: under the exec console (exec-console-script.ts), which holds its stdio or
// its terminal (resizable), outlives the engine and records the exit; where its perl has no system call
// numbers (another architecture), with the runtime in the foreground as before (under util-linux `script`
// for a terminal, which keeps the size it started with), tied to this engine.
import path from 'node:path';
import { underPty } from '../runtime/tty.js';
import { EXEC_CONSOLE_SCRIPT } from './exec-console-script.js';

/** The architectures whose system call numbers the perl code knows (console-holder.ts). */
const CONSOLE_ARCHES = new Set(['x64', 'arm64', 'riscv64']);

/** Whether execs run under the exec console here. */
export const execConsoleAvailable = () => CONSOLE_ARCHES.has(process.arch);

/** The exec console of the execs whose files are in dir, before its job (given on fd 3, see execConsoleJob). */
export function execConsoleCommand(dir: string): { command: string; args: string[] } {
  return { command: 'perl', args: ['-e', EXEC_CONSOLE_SCRIPT, dir] };
}

/** The job line of an exec console: the exec's id, its terminal, the runtime's argv, each as `x` and its
 *  bytes in hex (an argument may be empty or hold any byte but NUL; the line holds no newline but its end).
 *  @param runtimeArgs the runtime's arguments for an exec, given the flags to put after `exec` */
export function execConsoleJob(
  dir: string,
  id: string,
  tty: boolean,
  runtime: string,
  runtimeArgs: (execFlags: string[]) => string[],
): string {
  // the socket's name is relative to dir, where the console runs the runtime: a socket's path holds 107 bytes
  const flags = ['-d', ...(tty ? ['--console-socket', `exec-${id}.sock`] : []), '--pid-file', path.join(dir, `exec-${id}.pid`)];
  const words = [id, tty ? '1' : '0', runtime, ...runtimeArgs(flags)];
  return `${words.map((w) => `x${Buffer.from(w).toString('hex')}`).join(' ')}\n`;
}

/** The runtime in the foreground, tied to this engine, where there is no exec console. */
export function foregroundExec(tty: boolean, runtime: string, args: string[]): { command: string; args: string[] } {
  return tty ? underPty(runtime, args) : { command: runtime, args };
}

/** Where the exec console writes an exec's exit status (a decimal number and a newline). */
export const execExitFile = (dir: string, id: string) => path.join(dir, `exec-${id}.exit`);

/** The files the exec console may leave in dir, to remove once the exit is read. */
export const execConsoleFiles = (dir: string, id: string) => [
  path.join(dir, `exec-${id}.pid`),
  path.join(dir, `exec-${id}.sock`),
  execExitFile(dir, id),
];
