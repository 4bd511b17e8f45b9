// Reading a container's log stream line by line; non-TTY streams carry 8-byte frame headers.
import type { EngineClient } from '../../client/engine-client.js';

export type LogLine = { stream: 'stdout' | 'stderr'; text: string };

/** Splits a byte stream into lines, demultiplexing Docker's framing when the container has no TTY. */
export class LogDecoder {
  private buf = Buffer.alloc(0);
  private partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  constructor(
    private readonly framed: boolean,
    private readonly onLine: (l: LogLine) => void,
  ) {}

  push(chunk: Buffer): void {
    if (!this.framed) return this.text('stdout', chunk.toString('utf8'));
    this.buf = Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      this.text(this.buf[0] === 2 ? 'stderr' : 'stdout', this.buf.subarray(8, 8 + size).toString('utf8'));
      this.buf = this.buf.subarray(8 + size);
    }
  }

  private text(stream: 'stdout' | 'stderr', data: string) {
    const parts = (this.partial[stream] + data).split('\n');
    this.partial[stream] = parts.pop() ?? '';
    for (const p of parts) this.onLine({ stream, text: p.replace(/\r$/, '') });
  }

  end(): void {
    for (const s of ['stdout', 'stderr'] as const)
      if (this.partial[s]) {
        this.onLine({ stream: s, text: this.partial[s] });
        this.partial[s] = '';
      }
  }
}

export interface LogQuery {
  follow?: boolean;
  tail?: string;
  since?: string;
  /** a time to start from, more precise than `since` (a restarted container's output after its previous run) */
  sinceMs?: number;
  until?: string;
  timestamps?: boolean;
}

const toUnix = (v: string | undefined): number | undefined => {
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.floor(Number(v));
  const rel = /^(\d+)(s|m|h)$/.exec(v);
  if (rel) return Math.floor(Date.now() / 1000) - Number(rel[1]) * ({ s: 1, m: 60, h: 3600 } as Record<string, number>)[rel[2]];
  const t = Date.parse(v);
  return Number.isNaN(t) ? Number(v) : Math.floor(t / 1000);
};

/** Docker's timestamp parameter for a time with a fraction of a second: seconds, a dot and nine digits (Docker
 *  reads the digits after the dot as nanoseconds, so "12.5" would be 12 s and 5 ns). */
export function preciseUnix(ms: number): string {
  const sec = Math.floor(ms / 1000);
  return `${sec}.${String(Math.round((ms - sec * 1000) * 1e6)).padStart(9, '0')}`;
}

/** Resolves when the log stream ends (container stopped when following). */
export async function streamLogs(engine: EngineClient, id: string, q: LogQuery, onLine: (l: LogLine) => void): Promise<void> {
  const info = await engine.inspectContainer(id);
  const decoder = new LogDecoder(!info.Config.Tty, onLine);
  const opts = {
    stdout: true,
    stderr: true,
    timestamps: !!q.timestamps,
    tail: q.tail && q.tail !== 'all' ? Number(q.tail) : undefined,
    since: q.sinceMs !== undefined ? preciseUnix(q.sinceMs) : toUnix(q.since),
    until: toUnix(q.until),
  };
  if (!q.follow) {
    decoder.push(await engine.containerLogs(id, opts));
    decoder.end();
    return;
  }
  const stream = await engine.followContainerLogs(id, opts);
  await new Promise<void>((resolve) => {
    stream.on('data', (c: Buffer) => decoder.push(c));
    stream.on('end', () => {
      decoder.end();
      resolve();
    });
    stream.on('close', () => {
      decoder.end();
      resolve();
    });
    stream.on('error', () => {
      decoder.end();
      resolve();
    });
  });
}

/** How a followed container's run ended: its exit code, and whether its restart policy brings it back. */
export interface RunEnd {
  exitCode: number;
  restarting: boolean;
}

const RESTART_POLL_MS = 250;

type State = { Running?: boolean; Restarting?: boolean; StartedAt?: string; FinishedAt?: string; ExitCode?: number };
const stateOf = (engine: EngineClient, id: string): Promise<State | undefined> =>
  engine
    .inspectContainer(id)
    .then((i) => i.State as State)
    .catch(() => undefined);

/** The container's current run: when it started (to tell it from the next one), and whether it is running. */
export async function currentRun(engine: EngineClient, id: string): Promise<{ startedAt?: string; running: boolean }> {
  const state = await stateOf(engine, id);
  return { startedAt: state?.StartedAt, running: Boolean(state?.Running) };
}

/** The end of the run that started at `startedAt`, once its followed logs have ended: `exitCode` from its die
 *  event when there is one (the container may be running again already), and when it restarts, the time after
 *  which its next run's output starts. */
export async function runEnd(
  engine: EngineClient,
  id: string,
  startedAt: string | undefined,
  exitCode: number | undefined,
): Promise<RunEnd & { finishedAt?: string }> {
  const state = await stateOf(engine, id);
  // Docker counts a container waiting for its restart as running and restarting; the bundled engine as restarting
  const again = Boolean(state && (state.Restarting || (state.Running && state.StartedAt !== startedAt)));
  return { exitCode: exitCode ?? state?.ExitCode ?? 0, restarting: again, finishedAt: state?.FinishedAt };
}

/** Waits for a restarting container's next run: its start time once it runs, undefined when it will not
 *  (stopped meanwhile, removed, its restart failed, or `gone`). */
export async function nextRun(
  engine: EngineClient,
  id: string,
  previous: string | undefined,
  gone: () => boolean,
): Promise<string | undefined> {
  while (!gone()) {
    const state = await stateOf(engine, id);
    if (!state) return undefined;
    if (state.Running && !state.Restarting && state.StartedAt !== previous) return state.StartedAt ?? '';
    if (!state.Running && !state.Restarting) return undefined;
    await new Promise((r) => setTimeout(r, RESTART_POLL_MS));
  }
  return undefined;
}
