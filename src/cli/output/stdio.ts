// Connecting a hijacked engine stream (exec, attach) to our stdio, and our terminal's size to the
// container's or exec's terminal.
import type { EngineClient } from '../../client/engine-client.js';
import type { Duplex } from 'node:stream';

export async function pumpStdio(engine: EngineClient, stream: Duplex, opts: { tty: boolean; stdin: boolean }): Promise<void> {
  const done = new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  if (opts.tty) stream.pipe(process.stdout, { end: false });
  else engine.demuxStream(stream, process.stdout, process.stderr);
  const raw = opts.stdin && opts.tty && process.stdin.isTTY;
  if (opts.stdin) {
    if (raw) process.stdin.setRawMode(true);
    process.stdin.pipe(stream);
  }
  await done;
  if (opts.stdin) {
    process.stdin.unpipe(stream);
    if (raw) process.stdin.setRawMode(false);
    process.stdin.pause();
  }
}

/** As the docker CLI: sends our terminal's size now and on each SIGWINCH until the returned stop is
 *  called. Nothing when stdout is not a terminal. A failed resize is ignored (the process may have ended). */
export function followWindowSize(resize: (height: number, width: number) => Promise<void>): () => void {
  if (!process.stdout.isTTY) return () => {};
  const send = () => {
    const { rows, columns } = process.stdout;
    if (rows && columns) resize(rows, columns).catch(() => {});
  };
  send();
  process.on('SIGWINCH', send);
  return () => process.removeListener('SIGWINCH', send);
}
