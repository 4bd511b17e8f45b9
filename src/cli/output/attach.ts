// Printing the logs of several containers on one terminal with aligned, coloured prefixes.
import type { EngineClient } from '../../client/engine-client.js';
import chalk from 'chalk';
import type { ObservedContainer } from '../../reconcile/observed.js';
import { displayName, logPrefixer } from './log-prefix.js';
import { streamLogs, type LogQuery } from './log-stream.js';

export interface PrintLogsOptions extends LogQuery {
  prefix: boolean;
  colour: boolean;
}

export function colourEnabled(ansi: string | undefined, noColor?: boolean): boolean {
  if (noColor || ansi === 'never' || process.env.NO_COLOR) return false;
  if (ansi === 'always') return true;
  return !!process.stdout.isTTY;
}

/** Streams every container's logs to stdout; resolves per container when its stream ends. */
export function printLogs(
  engine: EngineClient,
  project: string,
  containers: ObservedContainer[],
  opts: PrintLogsOptions,
  onEnd?: (c: ObservedContainer) => unknown,
): Promise<void>[] {
  const names = containers.map((c) => displayName(project, c.name));
  const prefixer = logPrefixer(names, { colour: opts.colour, enabled: opts.prefix });
  if (!opts.colour) chalk.level = 0;
  return containers.map(async (c) => {
    const p = prefixer.prefix(displayName(project, c.name), c.service);
    await streamLogs(engine, c.id, opts, (l) => {
      (l.stream === 'stderr' && !opts.prefix ? process.stderr : process.stdout).write(`${p}${l.text}\n`);
    }).catch(() => {});
    await onEnd?.(c);
  });
}
