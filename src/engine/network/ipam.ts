// IP address management: picks a free subnet from the pools and free addresses inside a subnet.
import { contains, lastAddress, overlaps, parseCidr, splitSubnet, type Subnet } from './cidr.js';

/** A pool like Docker's default-address-pools entry: `base` split into subnets of `size` bits. */
export interface AddressPool {
  base: string;
  size: number;
}

export const DEFAULT_POOLS: AddressPool[] = [{ base: '10.89.0.0/16', size: 24 }];

/** "10.89.0.0/16:24,10.90.0.0/16" (size defaults to 24), as in TSCOMPOSE_NETWORK_POOLS. */
export function parsePools(text: string): AddressPool[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const [base = '', size = '24'] = entry.split(':');
      if (!parseCidr(base) || !/^\d+$/.test(size)) throw new Error(`invalid address pool "${entry}": expected <cidr>[:<prefix length>]`);
      return { base, size: Number(size) };
    });
}

/** The first subnet of the pools that overlaps nothing in `taken` (host routes and existing networks). */
export function allocateSubnet(pools: AddressPool[], taken: Subnet[]): Subnet | undefined {
  for (const pool of pools) {
    const base = parseCidr(pool.base);
    if (!base) continue;
    for (const candidate of splitSubnet(base, pool.size)) {
      if (!taken.some((t) => overlaps(t, candidate))) return candidate;
    }
  }
  return undefined;
}

/** Addresses no endpoint may get: the network address and the broadcast address. */
export function isReserved(subnet: Subnet, ip: number): boolean {
  if (subnet.prefix >= 31) return false;
  return ip === subnet.base || ip === lastAddress(subnet);
}

export const firstHost = (subnet: Subnet): number => (subnet.prefix >= 31 ? subnet.base : subnet.base + 1);

/** The lowest free host address of `subnet` (inside `range` when given). */
export function allocateAddress(subnet: Subnet, used: Set<number>, range?: Subnet): number | undefined {
  const from = range ? Math.max(range.base, subnet.base) : subnet.base;
  const to = range ? Math.min(lastAddress(range), lastAddress(subnet)) : lastAddress(subnet);
  for (let ip = from; ip <= to; ip++) {
    if (!isReserved(subnet, ip) && !used.has(ip) && contains(subnet, ip)) return ip;
  }
  return undefined;
}
