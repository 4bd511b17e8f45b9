// DNS answers over 512 bytes, for the tests of TCP forwarding: an upstream resolver that answers a TXT
// query with many records over TCP and only with a truncated answer (TC, no records) over UDP, as a server
// does when an answer does not fit; and a client that asks over UDP or TCP from inside a network namespace.
import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import { promisify } from 'node:util';
import * as dnsPacket from 'dns-packet';

/** the number of TXT records in the large answer (about 1.5 KB) */
export const LARGE_RECORDS = 40;
const record = (i: number) => `record-${String(i).padStart(2, '0')}-${'x'.repeat(24)}`;

export interface LargeAnswerUpstream {
  port: number;
  /** how many queries came in over each transport */
  queries: { udp: number; tcp: number };
  close(): Promise<void>;
}

function answer(query: Buffer, transport: 'udp' | 'tcp'): Buffer {
  const q = dnsPacket.decode(query);
  const question = q.questions![0]!;
  const answers: dnsPacket.Answer[] =
    transport === 'tcp' && question.type === 'TXT'
      ? Array.from({ length: LARGE_RECORDS }, (_, i) => ({ type: 'TXT' as const, name: question.name, ttl: 60, data: record(i) }))
      : [];
  const flags = dnsPacket.RECURSION_AVAILABLE | (transport === 'udp' && question.type === 'TXT' ? dnsPacket.TRUNCATED_RESPONSE : 0);
  return dnsPacket.encode({ type: 'response', id: q.id, flags, questions: [question], answers });
}

/** Listens on `host`:`port` (0 = a free port, the same for UDP and TCP). */
export async function largeAnswerUpstream(host: string, port = 0): Promise<LargeAnswerUpstream> {
  const queries = { udp: 0, tcp: 0 };
  const udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  udp.on('message', (msg, from) => {
    queries.udp++;
    udp.send(answer(msg, 'udp'), from.port, from.address);
  });
  await new Promise<void>((r) => udp.bind(port, host, () => r()));
  const bound = udp.address().port;
  const tcp = net.createServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const message = pending.subarray(2, 2 + pending.readUInt16BE(0));
        pending = pending.subarray(2 + message.length);
        queries.tcp++;
        const reply = answer(message, 'tcp');
        const length = Buffer.alloc(2);
        length.writeUInt16BE(reply.length);
        socket.write(Buffer.concat([length, reply]));
      }
    });
  });
  await new Promise<void>((r) => tcp.listen(bound, host, () => r()));
  return {
    port: bound,
    queries,
    close: () =>
      new Promise<void>((done) => {
        udp.close();
        tcp.close(() => done());
      }),
  };
}

export interface ClientAnswer {
  truncated: boolean;
  records: string[];
}

// Runs in the namespace (a node of its own, started with nsenter): one query, the answer as JSON.
const CLIENT = `
const [dnsPath, server, port, name, transport, edns] = process.argv.slice(1);
const dnsPacket = require(dnsPath);
const query = dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'TXT', name }],
  additionals: edns === '0' ? [] : [{ type: 'OPT', name: '.', udpPayloadSize: Number(edns) }] });
const done = (reply) => { const d = dnsPacket.decode(reply); console.log(JSON.stringify({ truncated: d.flag_tc, records: d.answers.map((a) => Buffer.concat(a.data).toString()) })); process.exit(0); };
setTimeout(() => { console.error('timeout'); process.exit(2); }, 5000);
if (transport === 'udp') {
  const s = require('dgram').createSocket('udp4');
  s.on('message', done);
  s.send(query, Number(port), server);
} else {
  const s = require('net').connect(Number(port), server, () => { const l = Buffer.alloc(2); l.writeUInt16BE(query.length); s.write(Buffer.concat([l, query])); });
  let got = Buffer.alloc(0);
  s.on('data', (c) => { got = Buffer.concat([got, c]); if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) done(got.subarray(2, 2 + got.readUInt16BE(0))); });
}
`;

/** A TXT query for `name` to `server`:53 from the network namespace of `pid`, over `transport`; `edns` is the
 *  UDP payload size the client advertises (0 = no EDNS: a classic 512-byte client). */
export async function queryFromNamespace(
  netnsPath: string,
  server: string,
  name: string,
  transport: 'udp' | 'tcp',
  edns = 0,
  port = 53,
): Promise<ClientAnswer> {
  const dnsPath = createRequire(import.meta.url).resolve('dns-packet');
  const { stdout } = await promisify(execFile)(
    'nsenter',
    [`--net=${netnsPath}`, process.execPath, '-e', CLIENT, dnsPath, server, String(port), name, transport, String(edns)],
    { timeout: 10_000 },
  );
  return JSON.parse(stdout) as ClientAnswer;
}

/** The records the upstream gives over TCP, in order. */
export const largeAnswerRecords = (): string[] => Array.from({ length: LARGE_RECORDS }, (_, i) => record(i));
