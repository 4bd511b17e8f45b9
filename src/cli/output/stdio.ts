// Connecting a hijacked engine stream (exec, attach) to our stdio.
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
