// Answers over 512 bytes: the embedded DNS asks its upstream again over TCP when the UDP answer is truncated,
// answers TCP queries from containers over TCP, and gives a UDP client no more than it can take (TC set, so it
// asks again over TCP). The upstream here answers a TXT query only with TC over UDP, in full over TCP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { attachDefaults, createHarness, type Harness } from './harness.js';
import type { BridgeNetworkService } from '../../../src/engine/network/service.js';
import { largeAnswerRecords, largeAnswerUpstream, queryFromNamespace, type LargeAnswerUpstream } from '../../helpers/dns-large-answers.js';

describe('embedded DNS: large answers over TCP', () => {
  let h: Harness;
  let service: BridgeNetworkService;
  let upstream: LargeAnswerUpstream;
  let gateway: string;
  let netns: string;

  before(async () => {
    h = createHarness();
    upstream = await largeAnswerUpstream('127.0.0.1');
    service = h.service({ dnsUpstreamPort: upstream.port });
    const net = await service.createNetwork({ name: `${h.prefix}-tcp`, ipamConfig: [{ subnet: `${h.subnet24()}.0/24` }] });
    gateway = net.gateway!;
    const pid = await h.namespace();
    netns = `/proc/${pid}/ns/net`;
    await service.attach({
      ...attachDefaults,
      containerId: '5'.repeat(64),
      containerName: 'asker',
      hostname: 'asker',
      pid,
      mode: 'bridge',
      endpoints: [{ network: net.name, aliases: [] }],
    });
  });
  after(async () => {
    await upstream.close();
    await h.cleanup();
  });

  it('answers a TCP query in full, asking the upstream over TCP', async () => {
    const before = upstream.queries.tcp;
    const reply = await queryFromNamespace(netns, gateway, 'big.example', 'tcp');
    assert.deepEqual(reply, { truncated: false, records: largeAnswerRecords() });
    assert.equal(upstream.queries.tcp, before + 1);
  });

  it('retries a truncated UDP answer over TCP and gives an EDNS client the whole answer over UDP', async () => {
    const before = { ...upstream.queries };
    const reply = await queryFromNamespace(netns, gateway, 'big.example', 'udp', 4096);
    assert.deepEqual(reply, { truncated: false, records: largeAnswerRecords() });
    assert.deepEqual(upstream.queries, { udp: before.udp + 1, tcp: before.tcp + 1 });
  });

  it('tells a 512-byte UDP client the answer is truncated, so it asks again over TCP', async () => {
    const reply = await queryFromNamespace(netns, gateway, 'big.example', 'udp', 0);
    assert.deepEqual(reply, { truncated: true, records: [] });
  });
});
