// A DNS server on the host listening on every address takes the DNS port on the gateway too; the
// embedded DNS then listens on a free port and queries to the DNS port are redirected to it.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createHarness, inNamespace, type Harness, attachDefaults } from './harness.js';

describe('embedded DNS when the DNS port is taken on every address', () => {
  let h: Harness;
  let wildcardUdp: dgram.Socket;
  let wildcardTcp: net.Server;
  let port: number;

  before(async () => {
    h = createHarness();
    wildcardUdp = dgram.createSocket('udp4');
    await new Promise<void>((r) => wildcardUdp.bind(0, '0.0.0.0', () => r()));
    port = wildcardUdp.address().port;
    wildcardTcp = net.createServer();
    await new Promise<void>((r) => wildcardTcp.listen(port, '0.0.0.0', () => r()));
  });

  after(async () => {
    wildcardUdp?.close();
    wildcardTcp?.close();
    await h.cleanup();
  });

  it('still answers container names on the DNS port of the gateway', async () => {
    const service = h.service({ dnsPort: port });
    const name = `${h.prefix}-dnsport`;
    const network = await service.createNetwork({ name, ipamConfig: [{ subnet: `${h.subnet24()}.0/24` }] });
    const [a, b] = await Promise.all([h.namespace(), h.namespace()]);
    await service.attach({
      ...attachDefaults,
      containerId: 'a'.repeat(64),
      containerName: 'first',
      hostname: 'first',
      pid: a,
      mode: 'bridge',
      endpoints: [{ network: name, aliases: [] }],
    });
    await service.attach({
      ...attachDefaults,
      containerId: 'b'.repeat(64),
      containerName: 'second',
      hostname: 'second',
      pid: b,
      mode: 'bridge',
      endpoints: [{ network: name, aliases: [] }],
    });
    const ip = (await service.attachmentOf('b'.repeat(64)))!.networks[name]!.IPAddress;
    const r = await inNamespace(a, ['busybox', 'nslookup', 'second', `${network.gateway}:${port}`]);
    assert.match(r.stdout, new RegExp(`Address: ${ip.replace(/\./g, '\\.')}$`, 'm'), r.stdout + r.stderr);
  });
});
