// Chooses how progress is shown: task lists on a terminal, plain lines in pipes/CI, nothing when quiet.
import type { GlobalOptions } from '../global-options.js';
import { silentProgress, type ProgressReporter } from '../../reconcile/progress.js';
import { listrProgress } from './listr-progress.js';
import { plainProgress } from './plain-progress.js';

export function wantsPlain(
  g: Pick<GlobalOptions, 'progress'>,
  env: NodeJS.ProcessEnv = process.env,
  isTTY = !!process.stderr.isTTY,
): boolean {
  if (g.progress === 'plain') return true;
  if (g.progress === 'tty') return false;
  return !isTTY || !!env.CI;
}

export function createProgress(g: Pick<GlobalOptions, 'progress'>): ProgressReporter {
  if (g.progress === 'quiet') return silentProgress;
  return wantsPlain(g) ? plainProgress() : listrProgress();
}
