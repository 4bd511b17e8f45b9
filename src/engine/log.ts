// The engine's log: one line per event, in dockerd's logfmt shape (time="…" level=warn msg="…" component=network
// container=…), to stderr and to <state>/engine.log, which is rotated by size so a long-lived engine cannot fill
// the disk. Best-effort operations report what failed here instead of swallowing it (`logFailure`).
import { appendFileSync, fstatSync, renameSync, statSync } from 'node:fs';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** What an event is about: the part of the engine, and the objects it concerns. */
export interface LogFields {
  component?: string;
  container?: string;
  network?: string;
  volume?: string;
  image?: string;
  [key: string]: string | number | boolean | undefined;
}

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (a component, a container id). */
  child(fields: LogFields): Logger;
}

export interface LogOptions {
  /** the file lines are appended to; rotated to <file>.1 … <file>.<keep> past `maxBytes` */
  file?: string;
  maxBytes?: number;
  keep?: number;
  /** lines below this level are dropped (TSCOMPOSE_LOG_LEVEL; default info) */
  level?: LogLevel;
  /** where lines go besides the file (default: stderr); tests pass a collector */
  write?: (line: string) => void;
}

export function parseLogLevel(value: string | undefined): LogLevel {
  const v = (value ?? '').toLowerCase();
  return v in RANK ? (v as LogLevel) : 'info';
}

/** logfmt: bare values where they need no quoting, JSON-quoted otherwise. */
function formatValue(v: string | number | boolean): string {
  const s = String(v);
  return /^[\w.:/@-]+$/.test(s) ? s : JSON.stringify(s);
}

export function formatLine(level: LogLevel, msg: string, fields: LogFields, now = new Date()): string {
  let line = `time="${now.toISOString()}" level=${level} msg=${JSON.stringify(msg)}`;
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== '') line += ` ${k}=${formatValue(v)}`;
  return line;
}

/** Appends to a file, moving it aside to .1 (and .1 to .2 …) once it passes maxBytes. */
class RotatingFile {
  private size: number;
  constructor(
    private readonly file: string,
    private readonly maxBytes: number,
    private readonly keep: number,
  ) {
    try {
      this.size = statSync(file).size;
    } catch {
      this.size = 0;
    }
  }

  append(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.size + bytes > this.maxBytes && this.size > 0) this.rotate();
    try {
      appendFileSync(this.file, line, { mode: 0o600 });
      this.size += bytes;
    } catch {
      /* the state directory is gone (engine teardown): stderr still has the line */
    }
  }

  private rotate(): void {
    for (let i = this.keep - 1; i >= 1; i--) {
      try {
        renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
      } catch {
        /* not there yet */
      }
    }
    try {
      renameSync(this.file, `${this.file}.1`);
    } catch {
      /* not there */
    }
    this.size = 0;
  }
}

export function createLogger(opts: LogOptions = {}): Logger {
  const min = RANK[opts.level ?? parseLogLevel(process.env.TSCOMPOSE_LOG_LEVEL)];
  const file = opts.file ? new RotatingFile(opts.file, opts.maxBytes ?? 10 << 20, opts.keep ?? 3) : undefined;
  // an engine started in the background has its stderr in a plain file (engine.out): the rotated file is enough
  const write =
    opts.write ??
    (stderrIsAFile()
      ? () => {}
      : (line: string) => {
          process.stderr.write(line);
        });
  const make = (base: LogFields): Logger => {
    const emit =
      (level: LogLevel) =>
      (msg: string, fields: LogFields = {}) => {
        if (RANK[level] < min) return;
        const line = `${formatLine(level, msg, { ...base, ...fields })}\n`;
        write(line);
        file?.append(line);
      };
    return {
      debug: emit('debug'),
      info: emit('info'),
      warn: emit('warn'),
      error: emit('error'),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make({});
}

function stderrIsAFile(): boolean {
  try {
    return fstatSync(2).isFile();
  } catch {
    return false;
  }
}

/** A logger that drops everything (library use and unit tests of parts that take one). */
export const silentLogger: Logger = createLogger({ level: 'error', write: () => {} });

/** For a best-effort step whose failure must not stop the caller but must not vanish either:
 *  `await networks.detach(id).catch(logFailure(log, 'detaching from networks', { container: id }))`. */
export function logFailure(log: Logger, what: string, fields?: LogFields): (err: unknown) => undefined {
  return (err: unknown) => {
    log.warn(`${what}: ${(err as Error)?.message ?? String(err)}`, fields);
    return undefined;
  };
}
