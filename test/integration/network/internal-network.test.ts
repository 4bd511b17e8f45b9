// An internal network has no way out: its containers reach each other but not another network's bridge
// address, which a container on an ordinary network does reach.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createHarness, inNamespace, type Harness, attachDefaults } from './harness.js';
import type { BridgeNetworkService } from '../../../src/engine/network/service.js';

describe('internal networks', () => {
  let h: Harness;
  let service: BridgeNetworkService;
  let server: http.Server;
  let port: number;
  let otherGateway: string;
  let outsidePid: number, insidePid: number, insidePeerPid: number, otherPid: number;

  before(async () => {
    h = createHarness();
    service = h.service();
    const open = await service.createNetwork({ name: `${h.prefix}-open`, ipamConfig: [{ subnet: `${h.subnet24()}.0/24` }] });
    const other = await service.createNetwork({ name: `${h.prefix}-other`, ipamConfig: [{ subnet: `${h.subnet24()}.0/24` }] });
    await service.createNetwork({ name: `${h.prefix}-sealed`, internal: true, ipamConfig: [{ subnet: `${h.subnet24()}.0/24` }] });
    otherGateway = other.gateway!;
    server = http.createServer((_req, res) => res.end('host service\n'));
    await new Promise<void>((r) => server.listen(0, '0.0.0.0', () => r()));
    port = (server.address() as AddressInfo).port;
    [outsidePid, insidePid, insidePeerPid, otherPid] = await Promise.all([h.namespace(), h.namespace(), h.namespace(), h.namespace()]);
    // a network's bridge exists while something is attached to it
    await service.attach({
      ...attachDefaults,
      containerId: '0'.repeat(64),
      containerName: 'other-1',
      hostname: 'other',
      pid: otherPid,
      mode: 'bridge',
      endpoints: [{ network: other.name, aliases: [] }],
    });
    await service.attach({
      ...attachDefaults,
      containerId: 'd'.repeat(64),
      containerName: 'open-1',
      hostname: 'open',
      pid: outsidePid,
      mode: 'bridge',
      endpoints: [{ network: open.name, aliases: [] }],
    });
    await service.attach({
      ...attachDefaults,
      containerId: 'e'.repeat(64),
      containerName: 'sealed-1',
      hostname: 'sealed',
      pid: insidePid,
      mode: 'bridge',
      endpoints: [{ network: `${h.prefix}-sealed`, aliases: [] }],
    });
    await service.attach({
      ...attachDefaults,
      containerId: 'f'.repeat(64),
      containerName: 'sealed-2',
      hostname: 'sealed2',
      pid: insidePeerPid,
      mode: 'bridge',
      endpoints: [{ network: `${h.prefix}-sealed`, aliases: ['peer'] }],
    });
  });

  after(async () => {
    server?.close();
    await h.cleanup();
  });

  const wget = (pid: number, url: string) => inNamespace(pid, ['timeout', '5', 'busybox', 'wget', '-q', '-O', '-', url]);

  it("lets a container on an ordinary network reach another network's bridge address", async () => {
    const r = await wget(outsidePid, `http://${otherGateway}:${port}/`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'host service\n');
  });

  it('isolates containers of different networks from each other', async () => {
    const otherIp = (await service.attachmentOf('0'.repeat(64)))!.networks[`${h.prefix}-other`]!.IPAddress;
    const ping = await inNamespace(outsidePid, ['busybox', 'ping', '-c', '1', '-W', '1', otherIp]);
    assert.notEqual(ping.code, 0, ping.stdout);
  });

  it('keeps a container on an internal network from reaching it', async () => {
    const r = await wget(insidePid, `http://${otherGateway}:${port}/`);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '');
  });

  it('NATs traffic from an ordinary network to the outside, and an internal network has no way there', async () => {
    const outside = await h.outside();
    const www = path.join(h.root, 'outside-www');
    mkdirSync(www, { recursive: true });
    writeFileSync(path.join(www, 'index.html'), 'outside world\n');
    h.serveHttp(outside.pid, www);
    // the outside namespace has no route to the container subnets: only masqueraded requests get answers
    let r = await wget(outsidePid, `http://${outside.address}/index.html`);
    for (let i = 0; i < 10 && r.code !== 0; i++) {
      await new Promise((ok) => setTimeout(ok, 100));
      r = await wget(outsidePid, `http://${outside.address}/index.html`);
    }
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'outside world\n');
    const sealed = await wget(insidePid, `http://${outside.address}/index.html`);
    assert.notEqual(sealed.code, 0);
  });

  it('honours the bridge driver options for MTU and disabling masquerade', async () => {
    const name = `${h.prefix}-nonat`;
    await service.createNetwork({
      name,
      options: { 'com.docker.network.driver.mtu': '1400', 'com.docker.network.bridge.enable_ip_masquerade': 'false' },
      ipamConfig: [{ subnet: `${h.subnet24()}.0/24` }],
    });
    const pid = await h.namespace();
    await service.attach({
      ...attachDefaults,
      containerId: 'm'.repeat(64),
      containerName: 'nonat-1',
      hostname: 'nonat',
      pid,
      mode: 'bridge',
      endpoints: [{ network: name, aliases: [] }],
    });
    const link = await inNamespace(pid, ['ip', '-o', 'link', 'show', 'dev', 'eth0']);
    assert.match(link.stdout, /mtu 1400/);
    const outside = await h.outside();
    const www = path.join(h.root, 'nonat-www');
    mkdirSync(www, { recursive: true });
    writeFileSync(path.join(www, 'index.html'), 'outside\n');
    h.serveHttp(outside.pid, www);
    // without NAT the outside namespace cannot answer: it has no route back to the container subnet
    const r = await wget(pid, `http://${outside.address}/index.html`);
    assert.notEqual(r.code, 0);
  });

  it('still resolves and reaches peers on the internal network', async () => {
    const gateway = (await service.findNetwork(`${h.prefix}-sealed`))!.gateway!;
    const peerIp = (await service.attachmentOf('f'.repeat(64)))!.networks[`${h.prefix}-sealed`]!.IPAddress;
    const lookup = await inNamespace(insidePid, ['busybox', 'nslookup', 'peer', gateway]);
    assert.match(lookup.stdout, new RegExp(`Address: ${peerIp.replace(/\./g, '\\.')}`));
    const ping = await inNamespace(insidePid, ['busybox', 'ping', '-c', '1', '-W', '2', peerIp]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
  });
});
