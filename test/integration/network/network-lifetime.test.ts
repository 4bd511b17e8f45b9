// A network's bridge, chains and DNS stay up after its last endpoint leaves (so `run --rm` does not pay for
// them each time) while the engine runs; engine shutdown takes down idle networks and keeps those in use;
// `network rm`, prune and teardown leave nothing behind.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createHarness, inNamespace, type Harness, attachDefaults } from './harness.js';
import type { BridgeNetworkService } from '../../../src/engine/network/service.js';

const hostHasLink = (name: string) => spawnSync('ip', ['link', 'show', 'dev', name], { stdio: 'ignore' }).status === 0;
const chainsOf = (networkId: string) =>
  spawnSync('iptables-save', [], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.startsWith(':') && l.includes(`-${networkId.slice(0, 12)} `));
const A = 'a1'.repeat(32);
const B = 'b1'.repeat(32);

/** Whether something accepts TCP connections on the gateway's DNS port (the gateway is on our own bridge). */
function dnsListening(gateway: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net
      .connect(53, gateway, () => {
        s.destroy();
        resolve(true);
      })
      .on('error', () => resolve(false));
  });
}

describe('network lifetime', () => {
  let h: Harness;
  let first: BridgeNetworkService;
  let name: string;

  before(() => {
    h = createHarness();
    first = h.service();
    name = `${h.prefix}-life`;
  });
  after(async () => {
    await h.cleanup();
  });

  it('keeps bridge, chains and DNS after the last endpoint and re-attaches a container at once', async () => {
    const network = await first.createNetwork({ name, ipamConfig: [{ subnet: `${h.subnet24()}.0/24` }] });
    assert.ok(!hostHasLink(network.bridge!), 'nothing is set up before the first endpoint');
    const pid = await h.namespace();
    const options = {
      ...attachDefaults,
      containerId: A,
      containerName: 'life-a',
      hostname: 'a',
      pid,
      mode: 'bridge' as const,
      endpoints: [{ network: name, aliases: [] }],
    };
    await first.attach(options);
    await first.detach(A);
    assert.ok(hostHasLink(network.bridge!));
    assert.ok(chainsOf(network.id).length > 0);
    assert.ok(await dnsListening(network.gateway!));
    // the same container in the same namespace again: its old eth0 must be gone first
    const again = await first.attach(options);
    const addrs = await inNamespace(pid, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
    assert.match(addrs.stdout, new RegExp(`inet ${again.networks[name]!.IPAddress.replace(/\./g, '\\.')}/24`));
    await first.detach(A);
  });

  it('keeps the default bridge after its last endpoint', async () => {
    const pid = await h.namespace();
    await first.attach({ ...attachDefaults, containerId: B, containerName: 'life-b', hostname: 'b', pid, mode: 'bridge', endpoints: [] });
    await first.detach(B);
    const bridge = (await first.findNetwork('bridge'))!;
    assert.ok(hostHasLink(bridge.bridge!));
    assert.ok(chainsOf(bridge.id).length > 0);
  });

  it('takes down idle networks on engine shutdown, keeps those in use, and restore brings their DNS back', async () => {
    const network = (await first.findNetwork(name))!;
    const pid = await h.namespace();
    await first.attach({
      ...attachDefaults,
      containerId: A,
      containerName: 'life-a',
      hostname: 'a',
      pid,
      mode: 'bridge',
      endpoints: [{ network: name, aliases: [] }],
    });
    const idle = await first.createNetwork({ name: `${h.prefix}-idle`, ipamConfig: [{ subnet: `${h.subnet24()}.0/24` }] });
    await first.attach({
      ...attachDefaults,
      containerId: B,
      containerName: 'life-b',
      hostname: 'b',
      pid: await h.namespace(),
      mode: 'bridge',
      endpoints: [{ network: idle.name, aliases: [] }],
    });
    await first.detach(B);
    assert.ok(hostHasLink(idle.bridge!));
    await first.close();
    assert.ok(!hostHasLink(idle.bridge!));
    assert.deepEqual(chainsOf(idle.id), []);
    assert.ok(hostHasLink(network.bridge!));
    assert.ok(chainsOf(network.id).length > 0);
    assert.equal(await dnsListening(network.gateway!), false);
    const second = h.service();
    await second.restore([{ containerId: A, pid }]);
    assert.ok(await dnsListening(network.gateway!));
    assert.ok(!hostHasLink(idle.bridge!), 'an idle network comes back with its first endpoint only');
    await second.detach(A);
    await second.removeNetwork(idle.name);
    first = second;
  });

  it('removes bridge, chains and DNS with network rm and prune', async () => {
    const network = (await first.findNetwork(name))!;
    await first.removeNetwork(name);
    assert.ok(!hostHasLink(network.bridge!));
    assert.deepEqual(chainsOf(network.id), []);
    const pruned = await first.createNetwork({ name: `${h.prefix}-pruned` });
    await first.attach({
      ...attachDefaults,
      containerId: A,
      containerName: 'life-a',
      hostname: 'a',
      pid: await h.namespace(),
      mode: 'bridge',
      endpoints: [{ network: pruned.name, aliases: [] }],
    });
    await first.detach(A);
    assert.ok(hostHasLink(pruned.bridge!));
    assert.deepEqual(await first.prune(), [pruned.name]);
    assert.ok(!hostHasLink(pruned.bridge!));
    assert.deepEqual(chainsOf(pruned.id), []);
  });

  it('removes the default bridge and its chains on teardown', async () => {
    const bridge = (await first.findNetwork('bridge'))!;
    await first.teardown();
    assert.ok(!hostHasLink(bridge.bridge!));
    assert.deepEqual(chainsOf(bridge.id), []);
  });
});
