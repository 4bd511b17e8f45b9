// Printing the logs of several containers on one terminal with aligned, coloured prefixes.
import type { EngineClient } from '../../client/engine-client.js';
import chalk from 'chalk';
import type { ObservedContainer } from '../../reconcile/observed.js';
import { displayName, logPrefixer } from './log-prefix.js';
import { ContainerExits } from './container-exits.js';
import { currentRun, nextRun, runEnd, streamLogs, type LogQuery, type RunEnd } from './log-stream.js';

/** How long a followed container's die event may lag behind the end of its log stream. */
const DIE_EVENT_WAIT_MS = 3000;

export interface PrintLogsOptions extends LogQuery {
  prefix: boolean;
  colour: boolean;
}

export function colourEnabled(ansi: string | undefined, noColor?: boolean): boolean {
  if (noColor || ansi === 'never' || process.env.NO_COLOR) return false;
  if (ansi === 'always') return true;
  return !!process.stdout.isTTY;
}

/** Streams every container's logs to stdout; resolves per container when its stream ends. When following, a
 *  container that its restart policy restarts is followed again once it runs (as docker compose re-attaches), and
 *  `onExit` hears of each run's end, `restarting` telling whether another run follows. */
export function printLogs(
  engine: EngineClient,
  project: string,
  containers: ObservedContainer[],
  opts: PrintLogsOptions,
  onExit?: (c: ObservedContainer, end: RunEnd) => unknown,
  stopped: () => boolean = () => false,
): Promise<void>[] {
  const names = containers.map((c) => displayName(project, c.name));
  const prefixer = logPrefixer(names, { colour: opts.colour, enabled: opts.prefix });
  if (!opts.colour) chalk.level = 0;
  const exits = opts.follow
    ? ContainerExits.watch(
        engine,
        containers.map((c) => c.id),
      )
    : Promise.resolve(undefined);
  const done = containers.map(async (c) => {
    const p = prefixer.prefix(displayName(project, c.name), c.service);
    const dies = await exits;
    let query: LogQuery = opts;
    let run = opts.follow ? await currentRun(engine, c.id) : { running: false };
    for (;;) {
      await streamLogs(engine, c.id, query, (l) => {
        (l.stream === 'stderr' && !opts.prefix ? process.stderr : process.stdout).write(`${p}${l.text}\n`);
      }).catch(() => {});
      if (!opts.follow) {
        await onExit?.(c, { exitCode: 0, restarting: false });
        return;
      }
      // the die event of a run that was followed follows the end of its log stream closely; without one, inspect tells
      const died = run.running ? await dies?.next(c.id, DIE_EVENT_WAIT_MS) : undefined;
      const end = await runEnd(engine, c.id, run.startedAt, died);
      await onExit?.(c, end);
      if (!end.restarting) return;
      const startedAt = await nextRun(engine, c.id, run.startedAt, stopped);
      if (startedAt === undefined) return;
      run = { startedAt, running: true };
      // the next run's output: everything written after the previous run ended
      const finished = end.finishedAt ? Date.parse(end.finishedAt) : NaN;
      query = { ...opts, tail: undefined, since: undefined, sinceMs: Number.isNaN(finished) ? Date.now() : finished };
    }
  });
  void Promise.all(done).then(async () => (await exits)?.close());
  return done;
}
