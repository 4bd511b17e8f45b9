// The line renderer: one line per state change, for pipes, CI and --progress plain.
import type { ProgressReporter, ResourceKind } from '../../reconcile/progress.js';

export function plainProgress(write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): ProgressReporter {
  return {
    update(kind: ResourceKind, name: string, status: string) {
      write(` ${kind} ${name}  ${status}`);
    },
    fail(kind: ResourceKind, name: string, message: string) {
      write(` ${kind} ${name}  Error ${message}`);
    },
    note(text: string) {
      write(text);
    },
    detail(text: string) {
      write(text);
    },
    async close() {},
  };
}
