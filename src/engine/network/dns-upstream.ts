// Forwarding a query to one upstream resolver, over UDP or TCP (RFC 7766: a query whose UDP answer comes back
// truncated is asked again over TCP, and queries that came in over TCP go out over TCP).
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';

const UPSTREAM_TIMEOUT_MS = 2000;
/** the largest answer a UDP client without EDNS takes (RFC 1035) */
export const CLASSIC_UDP_LIMIT = 512;

export type Transport = 'udp' | 'tcp';

/** Whether a DNS message has the TC (truncated) bit. */
export const isTruncated = (message: Buffer): boolean => message.length >= 4 && (message[2]! & 0x02) !== 0;

/** The answer of `server` to `message`: over TCP when the client asked over TCP, else over UDP and, when
 *  that answer is truncated, over TCP again (the truncated answer when TCP fails). */
export async function forward(message: Buffer, server: string, port: number, transport: Transport): Promise<Buffer> {
  if (transport === 'tcp') return forwardTcp(message, server, port);
  const reply = await forwardUdp(message, server, port);
  if (!isTruncated(reply)) return reply;
  return forwardTcp(message, server, port).catch(() => reply);
}

/** The largest UDP answer the query's client takes: its EDNS payload size, or 512 bytes. */
export function udpLimitOf(query: dnsPacket.DecodedPacket): number {
  const opt = query.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  return Math.max(CLASSIC_UDP_LIMIT, opt?.udpPayloadSize ?? 0);
}

/** An answer that does not fit the client's UDP limit becomes the header and question with TC set, so the
 *  client asks again over TCP (as a resolver does; RFC 2181 §9). */
export function fitForUdp(reply: Buffer, limit: number): Buffer {
  if (reply.length <= limit) return reply;
  const decoded = dnsPacket.decode(reply);
  return dnsPacket.encode({
    type: 'response',
    id: decoded.id,
    flags: (decoded.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE,
    questions: decoded.questions ?? [],
  });
}

export function forwardUdp(message: Buffer, server: string, port: number): Promise<Buffer> {
  const id = message.readUInt16BE(0);
  const socket = dgram.createSocket(net.isIPv6(server) ? 'udp6' : 'udp4');
  return new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error('upstream DNS timeout')), UPSTREAM_TIMEOUT_MS);
    const finish = (err?: Error, reply?: Buffer) => {
      clearTimeout(timer);
      socket.close();
      if (reply) resolve(reply);
      else reject(err);
    };
    socket.on('error', (err) => finish(err));
    socket.on('message', (reply) => {
      if (reply.length >= 2 && reply.readUInt16BE(0) === id) finish(undefined, reply);
    });
    // connected, so an unreachable server fails at once (ECONNREFUSED) instead of at the timeout
    socket.connect(port, server, () => socket.send(message));
  });
}

/** One query on a TCP connection of its own: a two-byte length, then the message, both ways. */
export function forwardTcp(message: Buffer, server: string, port: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const socket = net.connect({ host: server, port });
    let received = Buffer.alloc(0);
    const finish = (err?: Error, reply?: Buffer) => {
      socket.destroy();
      if (reply) resolve(reply);
      else reject(err ?? new Error('upstream DNS closed the connection'));
    };
    socket.setTimeout(UPSTREAM_TIMEOUT_MS, () => finish(new Error('upstream DNS timeout')));
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish());
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        finish(undefined, received.subarray(2, 2 + received.readUInt16BE(0)));
      }
    });
  });
}
