// Reading the supervisor's log (one JSON entry per line, in the current file and its rotated copies, log-file.ts)
// and streaming it as Docker does: multiplexed frames when the container has no TTY, raw bytes with one; tail,
// since, until, timestamps, follow (across rotations).
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { watch } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { logFilesOldestFirst } from './log-file.js';

export interface LogEntry {
  log: string;
  stream: 'stdout' | 'stderr';
  time: string;
}

function parseLines(text: string, into: LogEntry[]): void {
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      into.push(JSON.parse(line) as LogEntry);
    } catch {
      /* torn line */
    }
  }
}

/** The entries of the rotated copies of a log (not the current file), oldest first. */
async function rotatedEntries(file: string): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  for (const f of logFilesOldestFirst(file).slice(0, -1)) {
    try {
      const raw = await readFile(f.path);
      parseLines((f.gzip ? gunzipSync(raw) : raw).toString('utf8'), entries);
    } catch {
      /* rotated away meanwhile, or damaged: the rest is still read */
    }
  }
  return entries;
}

/** One open log file read as it grows: it stays readable to its end after being rotated away. */
class LogCursor {
  private constructor(
    readonly fh: FileHandle,
    readonly ino: number,
    private offset: number,
  ) {}

  /** Opens the current file; null when there is none yet (the container has not written). */
  static async open(file: string, atEnd: boolean): Promise<LogCursor | null> {
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch {
      return null;
    }
    const st = await fh.stat();
    return new LogCursor(fh, st.ino, atEnd ? st.size : 0);
  }

  /** The complete lines written since the last read (a partly written line waits for its end). */
  async read(): Promise<LogEntry[]> {
    const { size } = await this.fh.stat();
    if (size <= this.offset) return [];
    const buf = Buffer.alloc(size - this.offset);
    const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.offset);
    const end = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (end < 0) return [];
    const entries: LogEntry[] = [];
    parseLines(buf.subarray(0, end).toString('utf8'), entries);
    this.offset += end + 1;
    return entries;
  }

  /** Whether `file` is now another file (the log was rotated): this one has then been read to its end. */
  async replaced(file: string): Promise<boolean> {
    try {
      return (await stat(file)).ino !== this.ino;
    } catch {
      return false; // between the rotation's rename and the new file
    }
  }

  close(): Promise<void> {
    return this.fh.close();
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
  /** only what is written from now on (attach without logs), instead of everything kept */
  fromEnd?: boolean;
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
    first = false;
    for (const e of selected) {
      const text = o.timestamps ? `${e.time.replace(/Z$/, '000000Z')} ${e.log}` : e.log;
      const payload = Buffer.from(text, 'utf8');
      o.write(o.tty ? payload : frame(e.stream, payload));
    }
  };
  // the current file is opened before the rotated copies are read, so that a rotation meanwhile is seen
  let cursor = await LogCursor.open(o.file, Boolean(o.fromEnd));
  const kept = o.fromEnd ? [] : await rotatedEntries(o.file);
  emit([...kept, ...(cursor ? await cursor.read() : [])]);
  /** Reads what is new, moving on to the new file once the log has been rotated (the old one read to its end). */
  const next = async () => {
    if (!cursor) {
      cursor = await LogCursor.open(o.file, false);
      if (!cursor) return;
    }
    const entries = await cursor.read();
    while (await cursor.replaced(o.file)) {
      entries.push(...(await cursor.read()));
      await cursor.close();
      cursor = await LogCursor.open(o.file, false);
      if (!cursor) break;
      entries.push(...(await cursor.read()));
    }
    emit(entries);
  };
  try {
    if (!o.until) return;
    let done = false;
    void o.until.then(() => {
      done = true;
    });
    let wake: (() => void) | undefined;
    // the directory is watched, not the file: a rotation replaces the file
    let watcher: ReturnType<typeof watch> | undefined;
    try {
      watcher = watch(path.dirname(o.file), () => wake?.());
    } catch {
      /* inotify limits: polling covers it */
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
  } finally {
    await cursor?.close();
  }
}
