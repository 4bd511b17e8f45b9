// Replicas starting together (compose up --scale) get distinct addresses and all answer the service name.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHarness, inNamespace, type Harness, attachDefaults } from './harness.js';
import type { BridgeNetworkService } from '../../../src/engine/network/service.js';

const REPLICAS = 6;

describe('parallel attach', () => {
  let h: Harness;
  let service: BridgeNetworkService;

  before(() => {
    h = createHarness();
    service = h.service();
  });
  after(async () => {
    await h.cleanup();
  });

  it('allocates distinct addresses and answers the shared alias with every replica', async () => {
    const name = `${h.prefix}-scale`;
    const net = await service.createNetwork({ name }); // subnet from the pool
    const pids = await Promise.all(Array.from({ length: REPLICAS }, () => h.namespace()));
    const attachments = await Promise.all(
      pids.map((pid, i) =>
        service.attach({
          ...attachDefaults,
          containerId: `${i}`.repeat(64),
          containerName: `app-worker-${i + 1}`,
          hostname: `w${i}`,
          pid,
          mode: 'bridge',
          endpoints: [{ network: name, aliases: ['worker'] }],
          portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
        }),
      ),
    );
    const ips = attachments.map((a) => a.networks[name]!.IPAddress);
    assert.equal(new Set(ips).size, REPLICAS);
    assert.equal(new Set(attachments.map((a) => a.ports['80/tcp']![0]!.HostPort)).size, REPLICAS);
    const r = await inNamespace(pids[0]!, ['busybox', 'nslookup', 'worker', net.gateway!]);
    const answered = [...r.stdout.matchAll(/Address: (\d+\.\d+\.\d+\.\d+)$/gm)].map((m) => m[1]).filter((ip) => ip !== net.gateway);
    assert.deepEqual(answered.sort(), [...ips].sort());
    await Promise.all(attachments.map((_, i) => service.detach(`${i}`.repeat(64))));
    assert.equal(service.endpointsOf(net.id).length, 0);
  });
});
