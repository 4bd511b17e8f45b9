// Docker's restart policies: no, always, unless-stopped, on-failure[:max], with a growing back-off.
import type { ContainerRecord } from './record.js';

export function shouldRestart(rec: ContainerRecord, exitCode: number): boolean {
  if (rec.manualStop) return false;
  const policy = rec.hostConfig.RestartPolicy ?? { Name: 'no' };
  switch (policy.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (!policy.MaximumRetryCount || rec.restartCount < policy.MaximumRetryCount);
    default:
      return false;
  }
}

/** 100 ms doubling per restart, capped at a minute; back to 100 ms after a run of 10 s or more. */
export function restartDelayMs(restartCount: number, lastRunMs: number): number {
  if (lastRunMs >= 10_000) return 100;
  return Math.min(100 * 2 ** Math.min(restartCount, 10), 60_000);
}
