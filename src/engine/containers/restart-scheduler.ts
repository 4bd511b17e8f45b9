// Restart policies in time: after an exit the policy allows, the container starts again after Docker's
// back-off delay, unless it is started, stopped or removed meanwhile.
import { restartDelayMs } from './restart-policy.js';
import type { ContainerRecord } from './record.js';

export class RestartScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /** @param restart starts the container again; its failure is the caller's to record */
  schedule(rec: ContainerRecord, ranMs: number, restart: () => void): void {
    this.cancel(rec.id);
    this.timers.set(
      rec.id,
      setTimeout(
        () => {
          this.timers.delete(rec.id);
          restart();
        },
        restartDelayMs(rec.restartCount, ranMs),
      ),
    );
  }

  pending(id: string): boolean {
    return this.timers.has(id);
  }

  /** Drops a pending restart; true if there was one. */
  cancel(id: string): boolean {
    const timer = this.timers.get(id);
    if (!timer) return false;
    clearTimeout(timer);
    this.timers.delete(id);
    return true;
  }

  close(): void {
    for (const id of [...this.timers.keys()]) this.cancel(id);
  }
}
