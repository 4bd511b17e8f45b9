// Docker's log and exec streams: without a TTY every chunk is framed with an 8-byte header
// [stream type, 0, 0, 0, payload length (big endian u32)]; with a TTY the bytes are raw.
export type StreamName = 'stdout' | 'stderr';

export interface LogLine {
  stream: StreamName;
  text: string;
}

const HEADER = 8;

/** Reassembles frames across chunk boundaries and splits each stream into lines. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private partial: Record<StreamName, string> = { stdout: '', stderr: '' };

  constructor(private readonly tty: boolean) {}

  push(chunk: Buffer): LogLine[] {
    return this.frames(chunk).flatMap((f) => this.lines(f.stream, f.data.toString('utf8')));
  }

  /** The payloads complete so far, in order, without splitting them into lines. */
  frames(chunk: Buffer): { stream: StreamName; data: Buffer }[] {
    if (this.tty) return [{ stream: 'stdout', data: chunk }];
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: { stream: StreamName; data: Buffer }[] = [];
    while (this.pending.length >= HEADER) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < HEADER + size) break;
      out.push({ stream: this.pending[0] === 2 ? 'stderr' : 'stdout', data: this.pending.subarray(HEADER, HEADER + size) });
      this.pending = this.pending.subarray(HEADER + size);
    }
    return out;
  }

  /** Whatever is left without a trailing newline. */
  end(): LogLine[] {
    const out: LogLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) out.push({ stream, text: this.partial[stream] });
      this.partial[stream] = '';
    }
    return out;
  }

  private lines(stream: StreamName, text: string): LogLine[] {
    const parts = (this.partial[stream] + text).split('\n');
    this.partial[stream] = parts.pop() ?? '';
    return parts.map((line) => ({ stream, text: line.replace(/\r$/, '') }));
  }
}

/** Decodes a whole buffer (a non-follow logs response) into lines. */
export function decodeAll(buf: Buffer, tty: boolean): LogLine[] {
  const d = new FrameDecoder(tty);
  return [...d.push(buf), ...d.end()];
}

/** Decodes a live stream (follow logs, exec output) into lines as they arrive. */
export async function* decodeStream(stream: NodeJS.ReadableStream, tty: boolean): AsyncGenerator<LogLine> {
  const d = new FrameDecoder(tty);
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    yield* d.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  yield* d.end();
}

/** Collects a whole framed stream (exec output) per stream name, bytes kept as they were. */
export async function collectStream(stream: NodeJS.ReadableStream, tty: boolean): Promise<Record<StreamName, string>> {
  const d = new FrameDecoder(tty);
  const parts: Record<StreamName, Buffer[]> = { stdout: [], stderr: [] };
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    for (const f of d.frames(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) parts[f.stream].push(f.data);
  }
  return { stdout: Buffer.concat(parts.stdout).toString('utf8'), stderr: Buffer.concat(parts.stderr).toString('utf8') };
}
