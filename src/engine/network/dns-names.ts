// Which addresses the embedded DNS gives for a name on one network, with round-robin between replicas.
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

/** "4.3.2.1.in-addr.arpa" → "1.2.3.4" */
export function reverseLookupAddress(name: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(normalizeName(name));
  return m ? [m[4], m[3], m[2], m[1]].join('.') : undefined;
}
