// Names the network does not know are forwarded: to the host's resolvers, or to the container's own
// `Dns` servers when it has some. The upstreams here are fake resolvers on loopback addresses.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import * as dnsPacket from 'dns-packet';
import { createHarness, inNamespace, type Harness } from './harness.js';
import type { BridgeNetworkService } from '../../../src/engine/network/service.js';

const attachDefaults = { portBindings: {}, publishAll: false, exposedPorts: [], extraHosts: [], dnsSearch: [], dnsOptions: [] };

/** A resolver that answers every A query with `address`. */
async function fakeResolver(host: string, port: number, address: string): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, from) => {
    const q = dnsPacket.decode(msg);
    const question = q.questions![0]!;
    const answers: dnsPacket.Answer[] = question.type === 'A' ? [{ type: 'A', name: question.name, ttl: 60, data: address }] : [];
    socket.send(
      dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: [question], answers }),
      from.port,
      from.address,
    );
  });
  await new Promise<void>((r) => socket.bind(port, host, () => r()));
  return socket;
}

describe('embedded DNS forwarding', () => {
  let h: Harness;
  let service: BridgeNetworkService;
  let resolvers: dgram.Socket[] = [];
  let gateway: string;
  let plainPid: number, customPid: number;

  before(async () => {
    h = createHarness();
    const hostResolver = await fakeResolver('127.0.0.1', 0, '192.0.2.10');
    const port = hostResolver.address().port;
    resolvers = [hostResolver, await fakeResolver('127.0.0.3', port, '192.0.2.30')];
    service = h.service({ dnsUpstreamPort: port });
    const net = await service.createNetwork({ name: `${h.prefix}-fwd`, ipamConfig: [{ subnet: `${h.subnet24()}.0/24` }] });
    gateway = net.gateway!;
    [plainPid, customPid] = await Promise.all([h.namespace(), h.namespace()]);
    await service.attach({
      ...attachDefaults,
      dns: [],
      containerId: '7'.repeat(64),
      containerName: 'plain',
      hostname: 'plain',
      pid: plainPid,
      mode: 'bridge',
      endpoints: [{ network: net.name, aliases: [] }],
    });
    await service.attach({
      ...attachDefaults,
      dns: ['127.0.0.3'],
      containerId: '8'.repeat(64),
      containerName: 'custom',
      hostname: 'custom',
      pid: customPid,
      mode: 'bridge',
      endpoints: [{ network: net.name, aliases: [] }],
    });
  });

  after(async () => {
    for (const r of resolvers) r.close();
    await h.cleanup();
  });

  it('forwards unknown names to the host resolvers', async () => {
    const r = await inNamespace(plainPid, ['busybox', 'nslookup', 'outside.example', gateway]);
    assert.match(r.stdout, /Address: 192\.0\.2\.10/);
  });

  it("forwards to the container's own Dns servers when it has some", async () => {
    const r = await inNamespace(customPid, ['busybox', 'nslookup', 'outside.example', gateway]);
    assert.match(r.stdout, /Address: 192\.0\.2\.30/);
  });

  it('still answers names on the network itself', async () => {
    const ip = (await service.attachmentOf('7'.repeat(64)))!.networks[`${h.prefix}-fwd`]!.IPAddress;
    const r = await inNamespace(customPid, ['busybox', 'nslookup', 'plain', gateway]);
    assert.match(r.stdout, new RegExp(`Address: ${ip.replace(/\./g, '\\.')}`));
  });
});
