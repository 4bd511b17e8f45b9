// TSCOMPOSE_ENGINE_TRACE=<file>: appends per-phase durations of container lifecycle steps to that file,
// and the supervisor's moments (job received, runtime launched, container started, runtime exited) as
// wall-clock milliseconds (latency work; off by default and then free).
import { appendFileSync } from 'node:fs';

const file = process.env.TSCOMPOSE_ENGINE_TRACE;

/** A stopwatch for one operation: each `lap(name)` records the time since the previous lap; the line
 *  starts with the operation's wall-clock start (`at=`, ms), so that lines of several processes align. */
export function phaseTimer(op: string, id: string): { lap(name: string): void; done(): void } {
  if (!file) return { lap() {}, done() {} };
  const t0 = performance.now();
  const at = (performance.timeOrigin + t0).toFixed(2);
  let last = t0;
  const laps: string[] = [];
  return {
    lap(name) {
      const now = performance.now();
      laps.push(`${name}=${(now - last).toFixed(1)}`);
      last = now;
    },
    done() {
      appendFileSync(file, `${op} ${id.slice(0, 12)} at=${at} total=${(performance.now() - t0).toFixed(1)} ${laps.join(' ')}\n`);
    },
  };
}

/** One moment of `where` (another process, e.g. the supervisor, which inherits the variable). */
export function traceMark(where: string, id: string, event: string): void {
  if (file) appendFileSync(file, `${where} ${id.slice(0, 12)} ${event} at=${(performance.timeOrigin + performance.now()).toFixed(2)}\n`);
}
