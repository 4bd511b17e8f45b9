// Reading the supervisor's log file (one JSON entry per line) and streaming it as Docker does:
// multiplexed frames when the container has no TTY, raw bytes with one; tail, since, until, timestamps, follow.
import { open, stat } from 'node:fs/promises';
import { watch } from 'node:fs';

export interface LogEntry {
  log: string;
  stream: 'stdout' | 'stderr';
  time: string;
}

/** Reads the complete lines after `offset`; the offset returned stops before a partially written line. */
export async function readEntries(file: string, offset: number): Promise<{ entries: LogEntry[]; offset: number }> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return { entries: [], offset };
  }
  if (size <= offset) return { entries: [], offset };
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end < 0) return { entries: [], offset };
    const entries: LogEntry[] = [];
    for (const line of text.slice(0, end).split('\n')) {
      if (!line) continue;
      try {
        entries.push(JSON.parse(line) as LogEntry);
      } catch {
        /* torn line */
      }
    }
    return { entries, offset: offset + Buffer.byteLength(text.slice(0, end + 1)) };
  } finally {
    await fh.close();
  }
}

export async function logSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/** Docker's stream framing: [stream, 0, 0, 0, size (uint32 BE)] + payload; 1 = stdout, 2 = stderr. */
export function frame(stream: 'stdout' | 'stderr', payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream === 'stdout' ? 1 : 2;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Docker's `since`/`until`: unix seconds with an optional fraction, or an RFC 3339 time. */
export function parseTimeParam(v: string | null): number | undefined {
  if (!v || v === '0') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

export interface StreamOptions {
  file: string;
  offset: number; // where to start reading
  tty: boolean;
  stdout: boolean;
  stderr: boolean;
  timestamps?: boolean;
  tail?: number; // only the last N entries of what exists now
  sinceMs?: number;
  untilMs?: number;
  /** resolves when streaming should stop (container exited, client gone); undefined = no follow */
  until?: Promise<void>;
  write: (chunk: Buffer) => boolean | void;
  isClosed: () => boolean;
}

export async function streamEntries(o: StreamOptions): Promise<void> {
  let offset = o.offset;
  let first = true;
  const emit = (entries: LogEntry[]) => {
    let selected = entries.filter((e) => (e.stream === 'stdout' ? o.stdout : o.stderr));
    if (o.sinceMs !== undefined || o.untilMs !== undefined) {
      selected = selected.filter((e) => {
        const t = Date.parse(e.time);
        return (o.sinceMs === undefined || t >= o.sinceMs) && (o.untilMs === undefined || t <= o.untilMs);
      });
    }
    if (first && o.tail !== undefined) selected = o.tail === 0 ? [] : selected.slice(-o.tail);
    for (const e of selected) {
      const text = o.timestamps ? `${e.time.replace(/Z$/, '000000Z')} ${e.log}` : e.log;
      const payload = Buffer.from(text, 'utf8');
      o.write(o.tty ? payload : frame(e.stream, payload));
    }
  };
  const next = async () => {
    const r = await readEntries(o.file, offset);
    offset = r.offset;
    emit(r.entries);
    first = false;
  };
  await next();
  if (!o.until) return;
  let done = false;
  void o.until.then(() => {
    done = true;
  });
  let wake: (() => void) | undefined;
  let watcher: ReturnType<typeof watch> | undefined;
  try {
    watcher = watch(o.file, () => wake?.());
  } catch {
    /* file not there yet: polling covers it */
  }
  void o.until.then(() => wake?.());
  try {
    while (!done && !o.isClosed()) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 250).unref();
      });
      wake = undefined;
      await next();
    }
    await next();
  } finally {
    watcher?.close();
  }
}
