// The embedded DNS server of one network: UDP and TCP on the gateway address. It answers the names the
// handler knows and forwards every other query, unchanged, to upstream resolvers (dns-upstream.ts: over
// TCP when the client asked over TCP or the UDP answer was truncated). A UDP client gets at most what it
// can take (512 bytes, or its EDNS size): a larger answer comes back truncated, and it asks again over TCP.
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { fitForUdp, forward, udpLimitOf, type Transport } from './dns-upstream.js';

export type LocalAnswer =
  | { kind: 'addresses'; ips: string[] } // empty = the name exists but has no record of this type
  | { kind: 'pointer'; name: string };

export interface DnsHandler {
  /** whether this client may ask at all: the server listens on the network's gateway address, which processes
   *  of the host and containers of other networks can reach too, and it must not tell them this network's names */
  serves?(clientIp: string): boolean;
  answer(name: string, type: string, clientIp: string): LocalAnswer | undefined;
  /** servers to forward to for this client; none = refuse */
  upstreams(clientIp: string): string[];
}

const TTL_SECONDS = 600;
const RCODE_SERVFAIL = 2;
const RCODE_REFUSED = 5;

// One server per gateway address in this process: an engine restarted in-process (tests, embedding)
// replaces the listener its predecessor left open instead of failing with EADDRINUSE.
const listening = new Map<string, EmbeddedDnsServer>();

export class EmbeddedDnsServer {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly tcpClients = new Set<net.Socket>();
  private key?: string;

  constructor(
    private readonly handler: DnsHandler,
    private readonly upstreamPort = 53,
  ) {}

  /** Listens on `address`:`port` over UDP and TCP; port 0 picks a free port. Resolves to the port. */
  async listen(address: string, port: number): Promise<number> {
    await listening.get(address)?.close();
    listening.set(address, this);
    this.key = address;
    try {
      const udp = dgram.createSocket('udp4');
      udp.on('message', (msg, from) => {
        void this.respond(msg, from.address, 'udp').then((reply) => {
          if (reply) udp.send(reply, from.port, from.address);
        });
      });
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind({ address, port, exclusive: true }, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      udp.on('error', () => undefined);
      this.udp = udp;
      const actualPort = udp.address().port;
      const tcp = net.createServer((socket) => this.serveTcp(socket));
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: address, port: actualPort, exclusive: true }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      this.tcp = tcp;
      return actualPort;
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.key && listening.get(this.key) === this) listening.delete(this.key);
    for (const s of this.tcpClients) s.destroy();
    const { udp, tcp } = this;
    this.udp = undefined;
    this.tcp = undefined;
    await Promise.all([
      new Promise<void>((done) => (udp ? udp.close(() => done()) : done())),
      new Promise<void>((done) => (tcp ? tcp.close(() => done()) : done())),
    ]);
  }

  private serveTcp(socket: net.Socket): void {
    this.tcpClients.add(socket);
    socket.on('close', () => this.tcpClients.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const query = pending.subarray(2, 2 + pending.readUInt16BE(0));
        pending = pending.subarray(2 + query.length);
        void this.respond(query, socket.remoteAddress ?? '', 'tcp').then((reply) => {
          if (!reply || socket.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(reply.length);
          socket.write(Buffer.concat([len, reply]));
        });
      }
    });
  }

  /** The reply to one query message, or undefined for garbage (which never takes the daemon down). */
  async respond(message: Buffer, clientIp: string, transport: Transport = 'udp'): Promise<Buffer | undefined> {
    try {
      return await this.reply(message, clientIp, transport);
    } catch {
      return undefined;
    }
  }

  private async reply(message: Buffer, clientIp: string, transport: Transport): Promise<Buffer | undefined> {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined;
    }
    const question = query.questions?.[0];
    if (query.type !== 'query' || !question) return undefined;
    if (this.handler.serves && !this.handler.serves(clientIp)) return encodeError(query, RCODE_REFUSED);
    const local = this.handler.answer(question.name, question.type, clientIp);
    const fit = (reply: Buffer) => (transport === 'udp' ? fitForUdp(reply, udpLimitOf(query)) : reply);
    if (local) return fit(encodeLocal(query, question, local));
    const upstreams = this.handler.upstreams(clientIp);
    for (const server of upstreams) {
      const reply = await forward(message, server, this.upstreamPort, transport).catch(() => undefined);
      if (reply) return fit(reply);
    }
    return encodeError(query, upstreams.length ? RCODE_SERVFAIL : RCODE_REFUSED);
  }
}

function encodeLocal(query: dnsPacket.DecodedPacket, question: dnsPacket.Question, local: LocalAnswer): Buffer {
  const answers: dnsPacket.Answer[] =
    local.kind === 'addresses'
      ? local.ips.map((ip) => ({ type: ip.includes(':') ? 'AAAA' : 'A', class: 'IN', name: question.name, ttl: TTL_SECONDS, data: ip }))
      : [{ type: 'PTR', class: 'IN', name: question.name, ttl: TTL_SECONDS, data: local.name }];
  return dnsPacket.encode({
    type: 'response',
    id: query.id,
    flags: dnsPacket.RECURSION_AVAILABLE | (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0),
    questions: [question],
    answers,
  });
}

function encodeError(query: dnsPacket.DecodedPacket, rcode: number): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: query.id,
    flags: dnsPacket.RECURSION_AVAILABLE | (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) | rcode,
    questions: query.questions ?? [],
  });
}
