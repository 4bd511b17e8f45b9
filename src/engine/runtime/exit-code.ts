// Docker's convention for a process's exit status: the code, or 128 + signal number when killed by a signal.
import { constants } from 'node:os';

export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  if (signal) return 128 + (constants.signals[signal] ?? 0);
  return 255;
}
