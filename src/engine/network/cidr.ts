// IPv4 addresses and CIDR subnets as plain numbers: parsing, formatting, overlap tests.
export interface Subnet {
  base: number;
  prefix: number;
}

export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export function parseCidr(text: string): Subnet | undefined {
  const [addr, prefixText, ...rest] = text.split('/');
  if (rest.length || addr === undefined || prefixText === undefined || !/^\d{1,2}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const ip = parseIPv4(addr);
  if (ip === undefined || prefix > 32) return undefined;
  return { base: ip - (ip % subnetSize({ base: 0, prefix })), prefix };
}

export const formatCidr = (s: Subnet): string => `${formatIPv4(s.base)}/${s.prefix}`;
export const subnetSize = (s: Subnet): number => 2 ** (32 - s.prefix);
export const lastAddress = (s: Subnet): number => s.base + subnetSize(s) - 1;
export const contains = (s: Subnet, ip: number): boolean => ip >= s.base && ip <= lastAddress(s);
export const overlaps = (a: Subnet, b: Subnet): boolean => a.base <= lastAddress(b) && b.base <= lastAddress(a);

/** The /`prefix` subnets of `pool`, in address order. */
export function* splitSubnet(pool: Subnet, prefix: number): Generator<Subnet> {
  if (prefix < pool.prefix) return;
  const step = subnetSize({ base: 0, prefix });
  for (let base = pool.base; base <= lastAddress(pool); base += step) yield { base, prefix };
}
