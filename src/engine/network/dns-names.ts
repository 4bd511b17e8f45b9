// Which addresses the embedded DNS gives for a name on one network, with round-robin between replicas.
import { formatIPv6 } from './cidr6.js';
export interface NameEntry {
  names: string[];
  ip: string;
}

export const normalizeName = (name: string): string => name.toLowerCase().replace(/\.$/, '');

export class RoundRobin {
  private turns = new Map<string, number>();

  /** Every address registered for `name`, rotated by one on each call. */
  pick(name: string, entries: NameEntry[]): string[] {
    const wanted = normalizeName(name);
    const ips = [...new Set(entries.filter((e) => e.names.some((n) => normalizeName(n) === wanted)).map((e) => e.ip))];
    if (ips.length < 2) return ips;
    const turn = this.turns.get(wanted) ?? 0;
    this.turns.set(wanted, turn + 1);
    const shift = turn % ips.length;
    return [...ips.slice(shift), ...ips.slice(0, shift)];
  }
}

/** "4.3.2.1.in-addr.arpa" → "1.2.3.4"; the 32 nibbles of an ip6.arpa name → the IPv6 address (canonical) */
export function reverseLookupAddress(name: string): string | undefined {
  const normalized = normalizeName(name);
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(normalized);
  if (m) return [m[4], m[3], m[2], m[1]].join('.');
  const v6 = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(normalized);
  if (!v6) return undefined;
  const hex = v6[1]!.split('.').filter(Boolean).reverse().join('');
  return formatIPv6(BigInt(`0x${hex}`));
}
