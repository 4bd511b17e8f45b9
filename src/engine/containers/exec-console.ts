// How the engine runs an exec with a terminal: under the exec console (exec-console-script.ts), which holds
// the pty master and resizes it; where its perl has no system call numbers (another architecture), under
// util-linux `script` as before, whose terminal keeps the size it started with.
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
  /** files the command leaves behind, for the caller to remove */
  files: string[];
}

/** @param runtimeArgs the runtime's arguments for an exec, given the flags to put after `exec` */
export function execConsoleCommand(dir: string, id: string, runtime: string, runtimeArgs: (execFlags: string[]) => string[]): ExecCommand {
  if (!CONSOLE_ARCHES.has(process.arch)) return { ...underPty(runtime, runtimeArgs([])), window: false, files: [] };
  // relative to dir, where the console runs the runtime: a socket's path holds 107 bytes at most
  const socket = `exec-${id}.sock`;
  const pidFile = path.join(dir, `exec-${id}.pid`);
  return {
    command: 'perl',
    args: [
      '-e',
      EXEC_CONSOLE_SCRIPT,
      dir,
      socket,
      pidFile,
      runtime,
      ...runtimeArgs(['-d', '--console-socket', socket, '--pid-file', pidFile]),
    ],
    window: true,
    files: [pidFile, path.join(dir, socket)],
  };
}
