// The supervisor protocol's framing, shared by both ends: one JSON message per line.
import type { Socket } from 'node:net';

const MAX_LINE = 16 * 1024 * 1024;

/** Calls `handle` for each message; a line that is not JSON (or grows without end) calls `malformed`
 *  once and stops reading, since the peer is not speaking the protocol. */
export function onJsonLines<T>(sock: Socket, handle: (msg: T) => void, malformed: (err: Error) => void = () => sock.destroy()): void {
  let buf = '';
  let broken = false;
  sock.on('data', (d: Buffer) => {
    if (broken) return;
    buf += d.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      let msg: T;
      try {
        msg = JSON.parse(buf.slice(0, nl)) as T;
      } catch (err) {
        broken = true;
        malformed(err as Error);
        return;
      }
      buf = buf.slice(nl + 1);
      handle(msg);
    }
    if (buf.length > MAX_LINE) {
      broken = true;
      malformed(new Error('message too long'));
    }
  });
}
