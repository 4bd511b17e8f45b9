// A container on two networks gets an interface on each; after an engine restart (a new service over the
// same state dir) restore() brings back DNS and published ports for running containers and forgets the rest.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHarness, inNamespace, type Harness } from './harness.js';
import type { BridgeNetworkService } from '../../../src/engine/network/service.js';

const attachDefaults = { publishAll: false, exposedPorts: [], extraHosts: [], dns: [], dnsSearch: [], dnsOptions: [] };
const WEB = '5'.repeat(64);
const GONE = '6'.repeat(64);

async function fetchText(url: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await (await fetch(url)).text();
    } catch (err) {
      if (attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('several networks and engine restart', () => {
  let h: Harness;
  let first: BridgeNetworkService;
  let webPid: number, gonePid: number;
  let front: string, back: string;
  let hostPort: string;

  before(async () => {
    h = createHarness();
    first = h.service();
    front = `${h.prefix}-front`;
    back = `${h.prefix}-back`;
    await first.createNetwork({ name: front, ipamConfig: [{ subnet: `${h.subnet24()}.0/24` }] });
    await first.createNetwork({ name: back, labels: { tier: 'back' } }); // subnet from the pool
    [webPid, gonePid] = await Promise.all([h.namespace(), h.namespace()]);
    const www = path.join(h.root, 'www');
    mkdirSync(www);
    writeFileSync(path.join(www, 'index.html'), 'still here\n');
    const a = await first.attach({
      ...attachDefaults,
      containerId: WEB,
      containerName: 'multi-web',
      hostname: 'web',
      pid: webPid,
      mode: 'bridge',
      endpoints: [
        { network: front, aliases: ['web'] },
        { network: back, aliases: ['api'] },
      ],
      portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
      extraHosts: ['db.example:10.1.2.3', 'gw:host-gateway'],
    });
    hostPort = a.ports['80/tcp']![0]!.HostPort;
    await first.attach({
      ...attachDefaults,
      containerId: GONE,
      containerName: 'multi-gone',
      hostname: 'gone',
      pid: gonePid,
      mode: 'bridge',
      endpoints: [{ network: back, aliases: [] }],
      portBindings: {},
    });
    h.serveHttp(webPid, www);
  });

  after(async () => {
    await h.cleanup();
  });

  it('gives the container one interface per network with the addresses reported', async () => {
    const a = (await first.attachmentOf(WEB))!;
    assert.deepEqual(Object.keys(a.networks).sort(), [back, front].sort());
    const r = await inNamespace(webPid, ['ip', '-4', '-o', 'addr']);
    assert.match(r.stdout, new RegExp(`eth0\\s+inet ${a.networks[front]!.IPAddress.replace(/\./g, '\\.')}/24`));
    assert.match(r.stdout, new RegExp(`eth1\\s+inet ${a.networks[back]!.IPAddress.replace(/\./g, '\\.')}/24`));
    assert.match(a.networks[back]!.IPAddress, /^10\.200\./);
  });

  it('writes extra hosts (host-gateway = the gateway) and the container address into /etc/hosts', async () => {
    const a = (await first.attachmentOf(WEB))!;
    assert.match(a.hosts, /^10\.1\.2\.3\tdb\.example$/m);
    assert.match(a.hosts, new RegExp(`^${a.networks[front]!.Gateway.replace(/\./g, '\\.')}\\tgw$`, 'm'));
    assert.match(a.hosts, new RegExp(`^${a.networks[front]!.IPAddress.replace(/\./g, '\\.')}\\tweb$`, 'm'));
  });

  it('restores DNS and published ports for running containers after a restart, and drops the others', async () => {
    // an in-process restart: the old service never closed its listeners, the new one takes them over
    const second = h.service();
    await second.restore([{ containerId: WEB, pid: webPid }]);
    assert.equal(await fetchText(`http://127.0.0.1:${hostPort}/index.html`), 'still here\n');
    const backNet = (await second.findNetwork(back))!;
    const lookup = await inNamespace(webPid, ['busybox', 'nslookup', 'api', backNet.gateway!]);
    assert.match(
      lookup.stdout,
      new RegExp(`Address: ${(await second.attachmentOf(WEB))!.networks[back]!.IPAddress.replace(/\./g, '\\.')}`),
    );
    assert.equal(await second.attachmentOf(GONE), undefined);
    assert.deepEqual(
      second.endpointsOf(backNet.id).map((e) => e.containerId),
      [WEB],
    );
  });
});
