// Addresses of a new network (subnet, gateway, range) and of a new endpoint on it, with Docker's errors.
import { randomBytes } from 'node:crypto';
import { conflict, forbidden, internal, invalid } from '../errors.js';
import type { EndpointRequest, IpamConfig } from '../contracts.js';
import { contains, formatCidr, formatIPv4, overlaps, parseCidr, parseIPv4, type Subnet } from './cidr.js';
import { allocateAddress, allocateSubnet, firstHost, isReserved, type AddressPool } from './ipam.js';
import { vethName, type NetworkOptions } from './options.js';
import { allocateEndpoint6 } from './addressing6.js';
import type { EndpointRecord, NetworkRecord } from './state.js';
import { macForAddress } from './veth.js';

export const randomId = (): string => randomBytes(32).toString('hex');

/** `taken`: host routes and other subnets a pool subnet must not overlap (only used without config.subnet). */
export function planAddressing(
  name: string,
  config: IpamConfig | undefined,
  networks: NetworkRecord[],
  taken: Subnet[],
  pools: AddressPool[],
) {
  let subnet: Subnet | undefined;
  if (config?.subnet) {
    subnet = parseCidr(config.subnet);
    if (!subnet) throw invalid(`invalid subnet "${config.subnet}" for network ${name}`);
    const clash = networks.find((n) => n.subnet && overlaps(parseCidr(n.subnet)!, subnet!));
    if (clash)
      throw forbidden(
        `Pool overlaps with other one on this address space: ${config.subnet} overlaps network ${clash.name} (${clash.subnet})`,
      );
  } else {
    if (config?.gateway || config?.ipRange) throw invalid(`network ${name}: a gateway or ip range needs a subnet`);
    subnet = allocateSubnet(pools, taken);
    if (!subnet)
      throw internal('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
  }
  let gateway = firstHost(subnet);
  if (config?.gateway) {
    const gw = parseIPv4(config.gateway);
    if (gw === undefined || !contains(subnet, gw) || isReserved(subnet, gw))
      throw invalid(`invalid gateway ${config.gateway}: it must be a host address in ${formatCidr(subnet)}`);
    gateway = gw;
  }
  let ipRange: string | undefined;
  if (config?.ipRange) {
    const range = parseCidr(config.ipRange);
    if (!range || !contains(subnet, range.base))
      throw invalid(`invalid ip range ${config.ipRange}: it must lie inside ${formatCidr(subnet)}`);
    ipRange = formatCidr(range);
  }
  return {
    subnet: formatCidr(subnet),
    autoSubnet: !config?.subnet,
    gateway: formatIPv4(gateway),
    ipRange,
    auxAddresses: config?.auxiliaryAddresses ?? {},
  };
}

/** A new endpoint on `net` for a container: the requested address or the lowest free one, names for DNS. */
export function allocateEndpoint(
  net: NetworkRecord,
  existing: EndpointRecord[],
  container: { id: string; name: string; hostname: string },
  req: EndpointRequest,
  ifIndex: number,
  options: NetworkOptions,
): EndpointRecord {
  const subnet = parseCidr(net.subnet!)!;
  const used = new Set<number>([parseIPv4(net.gateway!)!]);
  for (const aux of Object.values(net.auxAddresses ?? {})) used.add(parseIPv4(aux) ?? -1);
  for (const ep of existing) used.add(parseIPv4(ep.ip)!);
  let address: number | undefined;
  if (req.ipv4Address) {
    address = parseIPv4(req.ipv4Address);
    if (address === undefined || !contains(subnet, address) || isReserved(subnet, address)) {
      throw invalid(`invalid IPv4 address ${req.ipv4Address} for network ${net.name}: it must be a host address in ${net.subnet}`);
    }
    if (used.has(address)) throw conflict(`Address already in use: ${req.ipv4Address} on network ${net.name}`);
  } else {
    address = allocateAddress(subnet, used, net.ipRange ? parseCidr(net.ipRange) : undefined);
    if (address === undefined) throw internal(`no available IPv4 addresses on this network's address pools: ${net.name} (${net.id})`);
  }
  const ip = formatIPv4(address);
  const ip6 = allocateEndpoint6(net, existing, req.ipv6Address);
  const id = randomId();
  const aliases = [...new Set(req.aliases)];
  return {
    id,
    networkId: net.id,
    containerId: container.id,
    ip,
    ...(ip6 ? { ip6 } : {}),
    mac: req.macAddress || macForAddress(ip),
    aliases,
    // the default bridge has no service discovery, as with Docker
    dnsNames: net.builtin ? [] : [...new Set([container.name, container.id.slice(0, 12), container.hostname, ...aliases].filter(Boolean))],
    ...(req.links?.length && !net.builtin ? { links: req.links } : {}),
    hostInterface: vethName(options, id),
    containerInterface: `eth${ifIndex}`,
  };
}
