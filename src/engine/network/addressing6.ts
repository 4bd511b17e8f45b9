// The IPv6 side of a network and of its endpoints: the subnet and gateway from the request's IPv6 IPAM entry
// (there is no IPv6 address pool: a network with IPv6 enabled needs a subnet, as with Docker Engine 20.10),
// and the lowest free address of the subnet for each endpoint, or the one asked for.
import { conflict, internal, invalid } from '../errors.js';
import type { IpamConfig } from '../contracts.js';
import { allocateAddress6, contains6, formatCidr6, formatIPv6, overlaps6, parseCidr6, parseIPv6 } from './cidr6.js';
import type { EndpointRecord, NetworkRecord } from './state.js';

export const isIPv6Config = (c: IpamConfig): boolean => Boolean(c.subnet?.includes(':'));

/** The IPv6 fields of a new network's record. */
export function planAddressing6(
  name: string,
  enableIPv6: boolean,
  configs: IpamConfig[],
  networks: NetworkRecord[],
): Pick<NetworkRecord, 'enableIPv6' | 'ipam6' | 'gateway6'> {
  const config = configs.find(isIPv6Config);
  if (!config) {
    if (enableIPv6)
      throw internal('could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network');
    return {};
  }
  const subnet = parseCidr6(config.subnet!);
  if (!subnet || subnet.prefix > 126) throw invalid(`invalid IPv6 subnet "${config.subnet}" for network ${name}`);
  const clash = networks.find((n) => n.ipam6 && overlaps6(parseCidr6(n.ipam6.subnet)!, subnet));
  if (clash)
    throw invalid(
      `Pool overlaps with other one on this address space: ${config.subnet} overlaps network ${clash.name} (${clash.ipam6!.subnet})`,
    );
  let gateway = subnet.base + 1n;
  if (config.gateway) {
    const gw = parseIPv6(config.gateway);
    if (gw === undefined || !contains6(subnet, gw) || gw === subnet.base)
      throw invalid(`invalid gateway ${config.gateway}: it must be a host address in ${formatCidr6(subnet)}`);
    gateway = gw;
  }
  return {
    enableIPv6: enableIPv6 || undefined,
    ipam6: { subnet: formatCidr6(subnet), ...(config.gateway ? { gateway: formatIPv6(gateway) } : {}) },
    gateway6: formatIPv6(gateway),
  };
}

/** The IPv6 address of a new endpoint on `net` (undefined when the network has IPv6 disabled). */
export function allocateEndpoint6(net: NetworkRecord, existing: EndpointRecord[], requested: string | undefined): string | undefined {
  // as Docker Engine 20.10: an IPv6 address asked for on a network without IPv6 is kept in the endpoint's
  // IPAMConfig (inspect echoes it) but none is assigned
  if (!net.enableIPv6 || !net.ipam6) return undefined;
  const subnet = parseCidr6(net.ipam6.subnet)!;
  const used = new Set<bigint>([parseIPv6(net.gateway6!)!]);
  for (const ep of existing) if (ep.ip6) used.add(parseIPv6(ep.ip6)!);
  if (requested) {
    const address = parseIPv6(requested);
    if (address === undefined || !contains6(subnet, address) || address === subnet.base)
      throw invalid(`invalid IPv6 address ${requested} for network ${net.name}: it must be a host address in ${net.ipam6.subnet}`);
    if (used.has(address)) throw conflict(`Address already in use: ${requested} on network ${net.name}`);
    return formatIPv6(address);
  }
  const address = allocateAddress6(subnet, used);
  if (address === undefined) throw internal(`no available IPv6 addresses on this network's address pools: ${net.name} (${net.id})`);
  return formatIPv6(address);
}

export const prefix6Of = (net: NetworkRecord): number => parseCidr6(net.ipam6!.subnet)!.prefix;
