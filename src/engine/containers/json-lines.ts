// The supervisor protocol's framing, shared by both ends: one JSON message per line.
import type { Socket } from 'node:net';

export function onJsonLines<T>(sock: Socket, handle: (msg: T) => void): void {
  let buf = '';
  sock.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buf.slice(0, nl)) as T;
      buf = buf.slice(nl + 1);
      handle(msg);
    }
  });
}
