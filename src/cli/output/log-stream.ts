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

/** Resolves when the log stream ends (container stopped when following). */
export async function streamLogs(engine: EngineClient, id: string, q: LogQuery, onLine: (l: LogLine) => void): Promise<void> {
  const info = await engine.inspectContainer(id);
  const decoder = new LogDecoder(!info.Config.Tty, onLine);
  const opts = {
    stdout: true,
    stderr: true,
    timestamps: !!q.timestamps,
    tail: q.tail && q.tail !== 'all' ? Number(q.tail) : undefined,
    since: toUnix(q.since),
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
