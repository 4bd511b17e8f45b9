// Pure parts of IPv6 networks, published-port DNAT planning and DNS answer sizes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as dnsPacket from 'dns-packet';
import { formatIPv6, parseCidr6, parseIPv6 } from '../../../src/engine/network/cidr6.js';
import { allocateEndpoint6, planAddressing6 } from '../../../src/engine/network/addressing6.js';
import { planPortDnat, portNetworkOf } from '../../../src/engine/network/port-dnat.js';
import { fitForUdp, isTruncated, udpLimitOf } from '../../../src/engine/network/dns-upstream.js';
import { reverseLookupAddress } from '../../../src/engine/network/dns-names.js';
import type { EndpointRecord, NetworkRecord, NetworkStateView } from '../../../src/engine/network/state.js';

const net = (over: Partial<NetworkRecord> = {}): NetworkRecord => ({
  id: 'n'.repeat(64),
  name: 'v6',
  created: '',
  driver: 'bridge',
  builtin: false,
  internal: false,
  attachable: false,
  labels: {},
  options: {},
  ipamOptions: null,
  subnet: '10.9.0.0/24',
  gateway: '10.9.0.1',
  ...over,
});
const ep = (over: Partial<EndpointRecord>): EndpointRecord => ({
  id: 'e',
  networkId: 'n'.repeat(64),
  containerId: 'c',
  ip: '10.9.0.2',
  mac: '',
  aliases: [],
  dnsNames: [],
  hostInterface: '',
  containerInterface: 'eth0',
  ...over,
});

describe('IPv6 addresses', () => {
  it('parses and prints them canonically (RFC 5952)', () => {
    for (const [text, canonical] of [
      ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
      ['fd00::2', 'fd00::2'],
      ['::', '::'],
      ['1:0:2:0:3:0:4:5', '1:0:2:0:3:0:4:5'],
    ])
      assert.equal(formatIPv6(parseIPv6(text)!), canonical);
    assert.equal(parseIPv6('fd00::1::2'), undefined);
    assert.equal(parseIPv6('10.0.0.1'), undefined);
    assert.deepEqual(parseCidr6('fd12:3456::7/64'), { base: parseIPv6('fd12:3456::')!, prefix: 64 });
    assert.equal(parseCidr6('fd12::/129'), undefined);
  });

  it('reverses ip6.arpa names', () => {
    const name = [...'fd00000000000000000000000000000a'].reverse().join('.') + '.ip6.arpa.';
    assert.equal(reverseLookupAddress(name), 'fd00::a');
    assert.equal(reverseLookupAddress('4.0.89.10.in-addr.arpa'), '10.89.0.4');
  });
});

describe('IPv6 network addressing', () => {
  it('needs a subnet to enable IPv6 (no pool, as Docker Engine 20.10) and keeps one given without it', () => {
    assert.throws(() => planAddressing6('v6', true, [], []), /non-overlapping IPv6 address pool/);
    assert.deepEqual(planAddressing6('v6', false, [{ subnet: 'fd00:1::/64' }], []), {
      enableIPv6: undefined,
      ipam6: { subnet: 'fd00:1::/64' },
      gateway6: 'fd00:1::1',
    });
    assert.deepEqual(planAddressing6('v6', true, [{ subnet: '10.0.0.0/24' }, { subnet: 'fd00:1::/64', gateway: 'fd00:1::fe' }], []), {
      enableIPv6: true,
      ipam6: { subnet: 'fd00:1::/64', gateway: 'fd00:1::fe' },
      gateway6: 'fd00:1::fe',
    });
  });

  it('refuses overlapping subnets and gateways outside the subnet', () => {
    const other = net({ name: 'other', ipam6: { subnet: 'fd00:1::/48' } });
    assert.throws(() => planAddressing6('v6', true, [{ subnet: 'fd00:1:0:2::/64' }], [other]), /Pool overlaps/);
    assert.throws(() => planAddressing6('v6', true, [{ subnet: 'fd00:9::/64', gateway: 'fd00:8::1' }], []), /invalid gateway/);
  });

  it('gives endpoints the lowest free address, or the one asked for, and none without IPv6', () => {
    const v6 = net({ enableIPv6: true, ipam6: { subnet: 'fd00:1::/64' }, gateway6: 'fd00:1::1' });
    assert.equal(allocateEndpoint6(v6, [], undefined), 'fd00:1::2');
    assert.equal(allocateEndpoint6(v6, [ep({ ip6: 'fd00:1::2' })], undefined), 'fd00:1::3');
    assert.equal(allocateEndpoint6(v6, [], 'fd00:1:0:0::10'), 'fd00:1::10');
    assert.throws(() => allocateEndpoint6(v6, [ep({ ip6: 'fd00:1::10' })], 'fd00:1::10'), /Address already in use/);
    assert.throws(() => allocateEndpoint6(v6, [], 'fd00:2::10'), /must be a host address/);
    assert.equal(allocateEndpoint6(net(), [], undefined), undefined);
    assert.equal(allocateEndpoint6(net(), [], 'fd00:1::10'), undefined, 'asked for on a network without IPv6: none, as Docker 20.10');
  });
});

describe('published-port DNAT plan', () => {
  const state: NetworkStateView = {
    networks: [],
    endpoints: [ep({ containerId: 'web', ip: '10.9.0.2', ip6: 'fd00:1::2' }), ep({ containerId: 'other', networkId: 'x', ip: '10.8.0.2' })],
    containers: [
      {
        id: 'web',
        name: 'web',
        hostname: 'web',
        mode: 'bridge',
        dns: [],
        resolvConf: '',
        hosts: '',
        portTargetIp: '10.9.0.2',
        ports: {
          // every address: one dual-stack proxy, reported as both families' bindings
          '80/tcp': [
            { HostIp: '0.0.0.0', HostPort: '8080' },
            { HostIp: '::', HostPort: '8080' },
          ],
          '81/tcp': [{ HostIp: '0.0.0.0', HostPort: '8081' }],
          '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }],
          '443/tcp': [
            { HostIp: '192.0.2.7', HostPort: '8443' },
            { HostIp: 'fd00::7', HostPort: '8443' },
          ],
          '9000/tcp': null,
        },
      },
      { id: 'other', name: 'o', hostname: 'o', mode: 'bridge', dns: [], resolvConf: '', hosts: '', portTargetIp: '10.8.0.2', ports: {} },
    ],
  };

  it('forwards every-address and specific bindings of its family (0.0.0.0 alone is IPv4 only); loopback stays with the proxy', () => {
    assert.deepEqual(planPortDnat(state, 'n'.repeat(64), 4), [
      { protocol: 'tcp', hostIp: '', hostPort: 8080, containerIp: '10.9.0.2', containerPort: 80 },
      { protocol: 'tcp', hostIp: '', hostPort: 8081, containerIp: '10.9.0.2', containerPort: 81 },
      { protocol: 'tcp', hostIp: '192.0.2.7', hostPort: 8443, containerIp: '10.9.0.2', containerPort: 443 },
    ]);
    assert.deepEqual(planPortDnat(state, 'n'.repeat(64), 6), [
      { protocol: 'tcp', hostIp: '', hostPort: 8080, containerIp: 'fd00:1::2', containerPort: 80 },
      { protocol: 'tcp', hostIp: 'fd00::7', hostPort: 8443, containerIp: 'fd00:1::2', containerPort: 443 },
    ]);
    assert.deepEqual(planPortDnat(state, 'x', 4), []);
  });

  it('knows which network a container publishes on', () => {
    assert.equal(portNetworkOf(state, 'web'), 'n'.repeat(64));
    assert.equal(portNetworkOf(state, 'other'), undefined, 'nothing published');
  });
});

describe('DNS answers over UDP', () => {
  const query = (edns?: number) =>
    dnsPacket.decode(
      dnsPacket.encode({
        type: 'query',
        id: 1,
        questions: [{ type: 'TXT', name: 'big.test' }],
        additionals: edns
          ? [{ type: 'OPT', name: '.', udpPayloadSize: edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }]
          : [],
      }),
    );
  const big = dnsPacket.encode({
    type: 'response',
    id: 1,
    flags: dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: 'TXT', name: 'big.test' }],
    answers: Array.from({ length: 30 }, (_, i) => ({ type: 'TXT' as const, name: 'big.test', data: `${i}`.padEnd(40, 'x') })),
  });

  it('takes the EDNS size of the client, at least 512 bytes', () => {
    assert.equal(udpLimitOf(query()), 512);
    assert.equal(udpLimitOf(query(4096)), 4096);
    assert.equal(udpLimitOf(query(256)), 512);
  });

  it('truncates what does not fit (TC, no records) and leaves the rest alone', () => {
    assert.ok(big.length > 512);
    assert.equal(fitForUdp(big, 4096), big);
    const cut = fitForUdp(big, 512);
    assert.ok(isTruncated(cut));
    const decoded = dnsPacket.decode(cut);
    assert.equal(decoded.id, 1);
    assert.deepEqual(decoded.answers, []);
    assert.equal(decoded.questions?.[0]?.name, 'big.test');
    assert.ok(!isTruncated(big));
  });
});
