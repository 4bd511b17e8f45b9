// A container's attachment as the container subsystem sees it (contracts.ts): its endpoint on each network,
// its published ports and the contents of its /etc/resolv.conf and /etc/hosts.
import type { EndpointSettings, NetworkAttachment } from '../contracts.js';
import { parseCidr } from './cidr.js';
import { prefix6Of } from './addressing6.js';
import type { AttachedContainer, EndpointRecord, NetworkRecord, NetworkStateView } from './state.js';

export function attachmentOf(state: NetworkStateView, record: AttachedContainer): NetworkAttachment {
  const networks: Record<string, EndpointSettings> = {};
  for (const ep of state.endpoints.filter((e) => e.containerId === record.id)) {
    const net = state.networks.find((n) => n.id === ep.networkId);
    if (net) networks[net.name] = endpointSettings(net, ep);
  }
  return { networks, ports: record.ports, resolvConf: record.resolvConf, hosts: record.hosts };
}

export function endpointSettings(net: NetworkRecord, ep: EndpointRecord): EndpointSettings {
  return {
    NetworkID: net.id,
    EndpointID: ep.id,
    Gateway: net.gateway ?? '',
    IPAddress: ep.ip,
    IPPrefixLen: parseCidr(net.subnet!)!.prefix,
    MacAddress: ep.mac,
    Aliases: ep.aliases.length ? ep.aliases : null,
    DNSNames: ep.dnsNames.length ? ep.dnsNames : null,
    ...(ep.ip6 ? { IPv6Gateway: net.gateway6 ?? '', GlobalIPv6Address: ep.ip6, GlobalIPv6PrefixLen: prefix6Of(net) } : {}),
  };
}
