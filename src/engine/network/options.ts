// How a network service names host objects and where it finds addresses; tests override the prefixes.
import { DEFAULT_POOLS, parsePools, type AddressPool } from './ipam.js';

export interface NetworkOptions {
  /** subnets handed to networks created without IPAM config (TSCOMPOSE_NETWORK_POOLS overrides the default) */
  pools: AddressPool[];
  /** start of every bridge and host-side veth name: "<prefix>b<id>", "<prefix>v<id>" (15 characters in all) */
  interfacePrefix: string;
  /** start of every iptables chain this service creates */
  chainPrefix: string;
  /** the host's resolver configuration, source of upstream DNS servers */
  hostResolvConf: string;
  hostHosts: string;
  /** port of the embedded DNS server on each network's gateway address */
  dnsPort: number;
  /** port of the upstream resolvers queries are forwarded to */
  dnsUpstreamPort: number;
}

export function networkOptions(overrides: Partial<NetworkOptions> = {}): NetworkOptions {
  const envPools = process.env.TSCOMPOSE_NETWORK_POOLS;
  return {
    pools: envPools ? parsePools(envPools) : DEFAULT_POOLS,
    interfacePrefix: 'tsc',
    chainPrefix: 'TSC',
    hostResolvConf: '/etc/resolv.conf',
    hostHosts: '/etc/hosts',
    dnsPort: 53,
    dnsUpstreamPort: 53,
    ...overrides,
  };
}

const IFNAMSIZ = 15;

export const bridgeName = (o: NetworkOptions, networkId: string): string => `${o.interfacePrefix}b${networkId}`.slice(0, IFNAMSIZ);

export const vethName = (o: NetworkOptions, endpointId: string): string => `${o.interfacePrefix}v${endpointId}`.slice(0, IFNAMSIZ);
