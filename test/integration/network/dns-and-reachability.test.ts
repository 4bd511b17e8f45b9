// Two namespaces on one user network reach each other by container name and by alias through the
// embedded DNS; replicas sharing an alias are all answered; the default bridge works too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHarness, inNamespace, inNamespaceWithResolvConf, type Harness, attachDefaults } from './harness.js';
import type { BridgeNetworkService } from '../../../src/engine/network/service.js';

const hostHasLink = (name: string) => spawnSync('ip', ['link', 'show', 'dev', name], { stdio: 'ignore' }).status === 0;
/** iptables chains of the network with id `networkId` (named <prefix>-<kind>-<first 12 id characters>) */
const chainsOf = (networkId: string) =>
  spawnSync('iptables-save', [], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.startsWith(':') && l.includes(`-${networkId.slice(0, 12)} `));

describe('user network: name resolution and reachability', () => {
  let h: Harness;
  let service: BridgeNetworkService;
  let netName: string;
  let gateway: string;
  let webPid: number, clientPid: number, replicaPid: number;
  let clientResolvConf: string;

  before(async () => {
    h = createHarness();
    service = h.service();
    netName = `${h.prefix}-app`;
    const s = h.subnet24();
    const net = await service.createNetwork({ name: netName, ipamConfig: [{ subnet: `${s}.0/24` }] });
    gateway = net.gateway!;
    [webPid, clientPid, replicaPid] = await Promise.all([h.namespace(), h.namespace(), h.namespace()]);
    const www = path.join(h.root, 'www');
    mkdirSync(www);
    writeFileSync(path.join(www, 'index.html'), 'hello from web\n');
    await service.attach({
      ...attachDefaults,
      containerId: 'a'.repeat(64),
      containerName: 'proj-web-1',
      hostname: 'webhost',
      pid: webPid,
      mode: 'bridge',
      endpoints: [{ network: netName, aliases: ['web', 'frontend'] }],
    });
    await service.attach({
      ...attachDefaults,
      containerId: 'c'.repeat(64),
      containerName: 'proj-web-2',
      hostname: 'webhost2',
      pid: replicaPid,
      mode: 'bridge',
      endpoints: [{ network: netName, aliases: ['web'] }],
    });
    const client = await service.attach({
      ...attachDefaults,
      containerId: 'b'.repeat(64),
      containerName: 'proj-client-1',
      hostname: 'client',
      pid: clientPid,
      mode: 'bridge',
      endpoints: [{ network: netName, aliases: ['client'] }],
    });
    clientResolvConf = path.join(h.root, 'client-resolv.conf');
    writeFileSync(clientResolvConf, client.resolvConf);
    h.serveHttp(webPid, www);
  });

  after(async () => {
    await h.cleanup();
  });

  it('points the container resolv.conf at the network gateway', async () => {
    const text = await import('node:fs').then((fs) => fs.readFileSync(clientResolvConf, 'utf8'));
    assert.match(text, new RegExp(`^nameserver ${gateway.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('answers the container name with its address on the network', async () => {
    const web = (await service.attachmentOf('a'.repeat(64)))!.networks[netName]!;
    const r = await inNamespace(clientPid, ['busybox', 'nslookup', 'proj-web-1', gateway]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, new RegExp(`Address: ${web.IPAddress.replace(/\./g, '\\.')}`));
  });

  it('answers an alias shared by two replicas with both addresses', async () => {
    const ips = ['a', 'c'].map((c) => service.attachmentOf(c.repeat(64)));
    const expected = (await Promise.all(ips)).map((a) => a!.networks[netName]!.IPAddress).sort();
    const r = await inNamespace(clientPid, ['busybox', 'nslookup', 'web', gateway]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const answered = [...r.stdout.matchAll(/Address: (10\.200\.\d+\.\d+)/g)].map((m) => m[1]).sort();
    assert.deepEqual(answered, expected);
  });

  it('reaches the web container over HTTP by container name and by alias', async () => {
    for (const name of ['proj-web-1', 'frontend']) {
      const r = await inNamespaceWithResolvConf(clientPid, clientResolvConf, `timeout 5 busybox wget -q -O - http://${name}/index.html`);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.equal(r.stdout, 'hello from web\n');
    }
  });

  // a query over TCP from a process in the client's network namespace (node, since busybox nslookup has no TCP mode)
  const TCP_QUERY = `
    const net = require('node:net');
    const [host, name] = process.argv.slice(1);
    const q = Buffer.alloc(12 + name.length + 2 + 4);
    q.writeUInt16BE(7, 0); q.writeUInt16BE(0x0100, 2); q.writeUInt16BE(1, 4);
    let o = 12; for (const label of name.split('.')) { q[o++] = label.length; o += q.write(label, o, 'ascii'); } q[o++] = 0;
    q.writeUInt16BE(1, o); q.writeUInt16BE(1, o + 2);
    const len = Buffer.alloc(2); len.writeUInt16BE(q.length);
    const s = net.connect(53, host, () => s.write(Buffer.concat([len, q])));
    let buf = Buffer.alloc(0);
    s.on('data', (d) => { buf = Buffer.concat([buf, d]); if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) { console.log(buf.subarray(2).toString('base64')); s.destroy(); } });
    s.on('error', (e) => { console.error(e.message); process.exit(1); });
  `;
  const tcpAnswers = (reply: Buffer) => ({
    rcode: reply.readUInt16BE(2) & 0xf,
    answers: dnsPacket.decode(reply).answers!.map((a) => (a as { data: string }).data),
  });

  it('answers DNS over TCP too', async () => {
    const web = (await service.attachmentOf('a'.repeat(64)))!.networks[netName]!;
    const r = await inNamespace(clientPid, [process.execPath, '-e', TCP_QUERY, gateway, 'frontend']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(tcpAnswers(Buffer.from(r.stdout.trim(), 'base64')).answers, [web.IPAddress]);
  });

  it('refuses queries from anything that is not on the network (the host, other networks)', async () => {
    const fromHost = await new Promise<Buffer>((resolve, reject) => {
      const socket = net.connect(53, gateway);
      socket.write(
        dnsPacket.streamEncode({
          type: 'query',
          id: 8,
          flags: dnsPacket.RECURSION_DESIRED,
          questions: [{ type: 'A', name: 'frontend', class: 'IN' }],
        }),
      );
      let buf = Buffer.alloc(0);
      socket.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          socket.destroy();
          resolve(buf.subarray(2));
        }
      });
      socket.on('error', reject);
    });
    const { rcode, answers } = tcpAnswers(fromHost);
    assert.equal(rcode, 5, 'REFUSED');
    assert.deepEqual(answers, [], 'no name of the network is told to the host');
  });

  it('connects a running container to a second network and disconnects it', async () => {
    const second = `${h.prefix}-extra`;
    const extra = await service.createNetwork({ name: second, ipamConfig: [{ subnet: `${h.subnet24()}.0/24` }] });
    await service.connect(second, 'proj-client-1', { aliases: ['late'] });
    const attachment = (await service.attachmentOf('b'.repeat(64)))!;
    const ip = attachment.networks[second]!.IPAddress;
    const addrs = await inNamespace(clientPid, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth1']);
    assert.match(addrs.stdout, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/24`));
    const lookup = await inNamespace(clientPid, ['busybox', 'nslookup', 'late', extra.gateway!]);
    assert.match(lookup.stdout, new RegExp(`Address: ${ip.replace(/\./g, '\\.')}`));
    assert.ok(h.events.since(0).some((e) => e.Type === 'network' && e.Action === 'connect' && e.Actor.ID === extra.id));
    await service.disconnect(second, 'b'.repeat(12));
    assert.equal((await inNamespace(clientPid, ['ip', 'link', 'show', 'dev', 'eth1'])).code === 0, false);
    assert.ok(hostHasLink(extra.bridge!), 'the bridge stays while the network exists');
    await service.removeNetwork(second);
    assert.ok(!hostHasLink(extra.bridge!));
    assert.deepEqual(chainsOf(extra.id), []);
  });

  it('reports endpoints in network inspect and refuses to remove a network in use', async () => {
    const net = (await service.findNetwork(netName))!;
    assert.equal(service.endpointsOf(net.id).length, 3);
    await assert.rejects(service.removeNetwork(netName), /has active endpoints/);
  });

  it('releases the endpoint on detach so the name no longer resolves', async () => {
    await service.detach('c'.repeat(64));
    const r = await inNamespace(clientPid, ['busybox', 'nslookup', 'proj-web-2', gateway]);
    assert.doesNotMatch(r.stdout, /Address: 10\.200\./);
  });

  it('keeps bridge, chains and DNS after the last endpoint leaves, and removes them with the network', async () => {
    const network = (await service.findNetwork(netName))!;
    const bridge = network.bridge!;
    await service.detach('a'.repeat(64));
    await service.detach('b'.repeat(64));
    assert.ok(hostHasLink(bridge));
    assert.ok(chainsOf(network.id).length > 0);
    await new Promise<void>((resolve, reject) => {
      const s = net
        .connect(53, gateway, () => {
          s.destroy();
          resolve();
        })
        .on('error', reject);
    });
    await service.removeNetwork(netName);
    assert.equal(await service.findNetwork(netName), undefined);
    assert.ok(!hostHasLink(bridge));
    assert.deepEqual(chainsOf(network.id), []);
  });
});
