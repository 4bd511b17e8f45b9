import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contains, formatCidr, formatIPv4, overlaps, parseCidr, parseIPv4 } from '../../../src/engine/network/cidr.js';
import { allocateAddress, allocateSubnet, parsePools } from '../../../src/engine/network/ipam.js';

const cidr = (s: string) => parseCidr(s)!;

describe('cidr', () => {
  it('parses and formats addresses and subnets, normalising the base', () => {
    assert.equal(parseIPv4('10.89.3.7'), 10 * 2 ** 24 + 89 * 2 ** 16 + 3 * 256 + 7);
    assert.equal(formatIPv4(parseIPv4('255.255.255.255')!), '255.255.255.255');
    assert.equal(formatCidr(cidr('10.89.3.7/24')), '10.89.3.0/24');
    for (const bad of ['10.89.3', '10.89.3.256/24', '10.0.0.0/33', '10.0.0.0/x', 'a.b.c.d/8']) assert.equal(parseCidr(bad), undefined, bad);
  });

  it('tells containment and overlap', () => {
    assert.ok(contains(cidr('10.0.0.0/8'), parseIPv4('10.255.0.1')!));
    assert.ok(!contains(cidr('10.0.0.0/24'), parseIPv4('10.0.1.0')!));
    assert.ok(overlaps(cidr('10.0.0.0/16'), cidr('10.0.5.0/24')));
    assert.ok(!overlaps(cidr('10.0.0.0/24'), cidr('10.0.1.0/24')));
  });
});

describe('ipam', () => {
  it('picks the first pool subnet that overlaps no host route and no network', () => {
    const pools = [{ base: '10.89.0.0/16', size: 24 }];
    assert.equal(formatCidr(allocateSubnet(pools, [])!), '10.89.0.0/24');
    assert.equal(formatCidr(allocateSubnet(pools, [cidr('10.89.0.0/24'), cidr('10.89.1.128/25')])!), '10.89.2.0/24');
    assert.equal(allocateSubnet(pools, [cidr('10.0.0.0/8')]), undefined);
  });

  it('falls through to the next pool when one is full', () => {
    const pools = parsePools('10.89.0.0/23:24,10.90.0.0/16');
    assert.equal(formatCidr(allocateSubnet(pools, [cidr('10.89.0.0/23')])!), '10.90.0.0/24');
    assert.throws(() => parsePools('10.89.0.0:24'), /invalid address pool/);
  });

  it('allocates the lowest free host address, skipping network and broadcast addresses', () => {
    const subnet = cidr('10.1.2.0/29');
    const used = new Set([parseIPv4('10.1.2.1')!, parseIPv4('10.1.2.2')!]);
    assert.equal(formatIPv4(allocateAddress(subnet, used)!), '10.1.2.3');
    const full = new Set([1, 2, 3, 4, 5, 6].map((n) => parseIPv4(`10.1.2.${n}`)!));
    assert.equal(allocateAddress(subnet, full), undefined);
  });

  it('allocates inside an ip range when the network has one', () => {
    assert.equal(formatIPv4(allocateAddress(cidr('10.1.0.0/16'), new Set(), cidr('10.1.5.0/24'))!), '10.1.5.0');
  });
});
