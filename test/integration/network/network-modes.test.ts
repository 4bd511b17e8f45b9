// The default bridge network and the network modes none, host and container:<id>.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createHarness, inNamespace, type Harness, attachDefaults } from './harness.js';
import type { BridgeNetworkService } from '../../../src/engine/network/service.js';
import { statusOf } from '../../../src/engine/api/http.js';

describe('default bridge and network modes', () => {
  let h: Harness;
  let service: BridgeNetworkService;

  before(() => {
    h = createHarness();
    service = h.service();
  });
  after(async () => {
    await h.cleanup();
  });

  it('puts a container without endpoints on the default "bridge" network, with the host resolvers and no service discovery', async () => {
    const pid = await h.namespace();
    const a = await service.attach({
      ...attachDefaults,
      dns: ['192.0.2.53'],
      dnsSearch: ['corp.example'],
      containerId: '9'.repeat(64),
      containerName: 'plain',
      hostname: 'plain',
      pid,
      mode: 'bridge',
      endpoints: [],
    });
    const bridge = a.networks.bridge!;
    const net = (await service.findNetwork('bridge'))!;
    assert.equal(bridge.NetworkID, net.id);
    assert.equal(bridge.Gateway, net.gateway);
    assert.match(bridge.IPAddress, /^10\.200\./);
    assert.equal(bridge.DNSNames, null);
    assert.equal(a.resolvConf, 'nameserver 192.0.2.53\nsearch corp.example\n');
    const ping = await inNamespace(pid, ['busybox', 'ping', '-c', '1', '-W', '2', bridge.Gateway]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
  });

  it('gives mode none only a loopback interface that is up', async () => {
    const pid = await h.namespace();
    const a = await service.attach({
      ...attachDefaults,
      containerId: 'n'.repeat(64),
      containerName: 'isolated',
      hostname: 'isolated',
      pid,
      mode: 'none',
      endpoints: [],
    });
    assert.deepEqual(a.networks, {});
    const links = await inNamespace(pid, ['ip', '-o', 'link']);
    assert.deepEqual(
      links.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(':')[1]!.trim()),
      ['lo'],
    );
    assert.match(links.stdout, /<LOOPBACK,UP,LOWER_UP>/);
  });

  it("gives mode host the host's resolver configuration", async () => {
    const a = await service.attach({
      ...attachDefaults,
      extraHosts: ['extra.example:10.9.9.9'],
      containerId: 'h'.repeat(64),
      containerName: 'hosty',
      hostname: 'hosty',
      pid: process.pid,
      mode: 'host',
      endpoints: [],
    });
    assert.equal(a.resolvConf, readFileSync(`${h.root}/host-resolv.conf`, 'utf8'));
    assert.match(a.hosts, /^10\.9\.9\.9\textra\.example$/m);
  });

  it('gives mode container:<name> the files of the container whose namespace it joins', async () => {
    const a = await service.attach({
      ...attachDefaults,
      containerId: 's'.repeat(64),
      containerName: 'sidecar',
      hostname: 'sidecar',
      pid: 1,
      mode: { container: 'plain' },
      endpoints: [],
    });
    const target = (await service.attachmentOf('9'.repeat(64)))!;
    assert.equal(a.resolvConf, target.resolvConf);
    assert.equal(a.hosts, target.hosts);
    await assert.rejects(
      service.attach({
        ...attachDefaults,
        containerId: 't'.repeat(64),
        containerName: 'orphan',
        hostname: 'o',
        pid: 1,
        mode: { container: 'nope' },
        endpoints: [],
      }),
      (err: Error) => statusOf(err) === 404,
    );
  });

  it('rejects unknown networks and bad addresses with clear errors', async () => {
    const pid = await h.namespace();
    const bridgeId = (await service.findNetwork('bridge'))!.id;
    const before = service.endpointsOf(bridgeId).length;
    await assert.rejects(
      service.attach({
        ...attachDefaults,
        containerId: 'u'.repeat(64),
        containerName: 'u',
        hostname: 'u',
        pid,
        mode: 'bridge',
        endpoints: [
          { network: 'bridge', aliases: [] },
          { network: 'no-such-net', aliases: [] },
        ],
      }),
      (err: Error) => statusOf(err) === 404 && /network no-such-net not found/.test(err.message),
    );
    await assert.rejects(
      service.attach({
        ...attachDefaults,
        containerId: 'v'.repeat(64),
        containerName: 'v',
        hostname: 'v',
        pid,
        mode: 'bridge',
        endpoints: [{ network: 'bridge', aliases: [], ipv4Address: '192.0.2.7' }],
      }),
      (err: Error) => statusOf(err) === 400 && /invalid IPv4 address 192\.0\.2\.7/.test(err.message),
    );
    const links = await inNamespace(pid, ['ip', '-o', 'link']);
    assert.doesNotMatch(links.stdout, /eth0/);
    assert.equal(service.endpointsOf(bridgeId).length, before);
  });
});
