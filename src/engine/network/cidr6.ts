// IPv6 addresses and subnets as bigints: parsing, canonical formatting (RFC 5952), containment.
import net from 'node:net';

export interface Subnet6 {
  base: bigint;
  prefix: number;
}

const ALL = (1n << 128n) - 1n;

export function parseIPv6(text: string): bigint | undefined {
  if (!net.isIPv6(text) || text.includes('%')) return undefined;
  let head = text;
  let tail = '';
  // an embedded IPv4 tail ("::ffff:1.2.3.4") becomes two groups
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (v4) {
    const o = v4.split('.').map(Number);
    head = text.slice(0, -v4.length) + `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const halves = head.split('::');
  [head, tail] = [halves[0] ?? '', halves[1] ?? ''];
  const left = head ? head.split(':') : [];
  const right = halves.length > 1 && tail ? tail.split(':') : [];
  const groups = halves.length > 1 ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups as "::". */
export function formatIPv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

export function parseCidr6(text: string): Subnet6 | undefined {
  const [addr, prefixText, ...rest] = text.split('/');
  if (rest.length || addr === undefined || prefixText === undefined || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const ip = parseIPv6(addr);
  if (ip === undefined || prefix > 128) return undefined;
  return { base: ip & maskOf(prefix), prefix };
}

const maskOf = (prefix: number): bigint => (ALL << BigInt(128 - prefix)) & ALL;

export const formatCidr6 = (s: Subnet6): string => `${formatIPv6(s.base)}/${s.prefix}`;
export const lastAddress6 = (s: Subnet6): bigint => s.base | (~maskOf(s.prefix) & ALL);
export const contains6 = (s: Subnet6, ip: bigint): boolean => ip >= s.base && ip <= lastAddress6(s);
export const overlaps6 = (a: Subnet6, b: Subnet6): boolean => a.base <= lastAddress6(b) && b.base <= lastAddress6(a);

/** The lowest address of `subnet` (after its subnet-router anycast address) not in `used`. */
export function allocateAddress6(subnet: Subnet6, used: Set<bigint>): bigint | undefined {
  const last = lastAddress6(subnet);
  for (let ip = subnet.base + 1n; ip <= last; ip++) if (!used.has(ip)) return ip;
  return undefined;
}
