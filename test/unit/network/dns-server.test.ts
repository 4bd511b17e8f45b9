// The embedded DNS message handling, driven with real DNS packets (no sockets needed for local answers).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as dnsPacket from 'dns-packet';
import { EmbeddedDnsServer } from '../../../src/engine/network/dns-server.js';

const query = (name: string, type: dnsPacket.RecordType) =>
  dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] });

const server = new EmbeddedDnsServer({
  answer: (name, type) => {
    if (name === 'web') return type === 'A' ? { kind: 'addresses', ips: ['10.0.0.2', '10.0.0.3'] } : { kind: 'addresses', ips: [] };
    if (type === 'PTR' && name === '2.0.0.10.in-addr.arpa') return { kind: 'pointer', name: 'web-1.net' };
    return undefined;
  },
  upstreams: () => [],
});

describe('embedded DNS responses', () => {
  it('answers known names with A records', async () => {
    const reply = dnsPacket.decode((await server.respond(query('web', 'A'), '10.0.0.9'))!);
    assert.equal(reply.id, 4242);
    assert.equal((reply as { rcode?: string }).rcode, 'NOERROR');
    assert.deepEqual(
      reply.answers!.map((a) => (a as { data: string }).data),
      ['10.0.0.2', '10.0.0.3'],
    );
  });

  it('answers AAAA for a known name with no records, so resolvers do not wait', async () => {
    const reply = dnsPacket.decode((await server.respond(query('web', 'AAAA'), '10.0.0.9'))!);
    assert.equal((reply as { rcode?: string }).rcode, 'NOERROR');
    assert.equal(reply.answers!.length, 0);
  });

  it('answers reverse lookups of container addresses', async () => {
    const reply = dnsPacket.decode((await server.respond(query('2.0.0.10.in-addr.arpa', 'PTR'), '10.0.0.9'))!);
    assert.equal((reply.answers![0] as { data: string }).data, 'web-1.net');
  });

  it('refuses unknown names when there is nowhere to forward (internal networks)', async () => {
    const reply = dnsPacket.decode((await server.respond(query('example.com', 'A'), '10.0.0.9'))!);
    assert.equal((reply as { rcode?: string }).rcode, 'REFUSED');
  });

  it('ignores garbage', async () => {
    assert.equal(await server.respond(Buffer.from('nope'), '10.0.0.9'), undefined);
  });
});
