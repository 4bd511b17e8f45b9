// What the embedded DNS of one network answers, read from the live network state: a client sees the
// names on every network its container is attached to; other names go to its upstream resolvers.
import { RoundRobin, normalizeName, reverseLookupAddress, type NameEntry } from './dns-names.js';
import type { DnsHandler, LocalAnswer } from './dns-server.js';
import type { NetworkRecord, NetworkStateView } from './state.js';

/** The container a legacy link's alias names, for the container that has the link (Docker resolves it lazily:
 *  the linked container may start after the linking one). */
function linkTarget(links: string[] | undefined, name: string): string | undefined {
  const wanted = normalizeName(name);
  for (const link of links ?? []) {
    const i = link.lastIndexOf(':');
    if (i > 0 && normalizeName(link.slice(i + 1)) === wanted) return link.slice(0, i);
  }
  return undefined;
}

export function networkDnsHandler(
  networkId: string,
  state: () => NetworkStateView,
  roundRobin: RoundRobin,
  hostNameservers: () => string[],
): DnsHandler {
  const clientEndpoint = (clientIp: string) => state().endpoints.find((e) => e.networkId === networkId && e.ip === clientIp);
  const clientNetworks = (clientIp: string): NetworkRecord[] => {
    const client = clientEndpoint(clientIp);
    const ids = client
      ? state()
          .endpoints.filter((e) => e.containerId === client.containerId)
          .map((e) => e.networkId)
      : [networkId];
    return state().networks.filter((n) => ids.includes(n.id) && !n.builtin);
  };
  return {
    serves: (clientIp) => clientEndpoint(clientIp) !== undefined,
    answer(name, type, clientIp): LocalAnswer | undefined {
      const nets = clientNetworks(clientIp);
      const endpoints = state().endpoints.filter((e) => nets.some((n) => n.id === e.networkId));
      if (type === 'PTR') {
        const address = reverseLookupAddress(name);
        const ep = endpoints.find((e) => e.ip === address || e.ip6 === address);
        const net = ep && nets.find((n) => n.id === ep.networkId);
        const container = ep && state().containers.find((c) => c.id === ep.containerId);
        return ep && net ? { kind: 'pointer', name: `${container?.name ?? ep.containerId.slice(0, 12)}.${net.name}` } : undefined;
      }
      const wanted = linkTarget(clientEndpoint(clientIp)?.links, name) ?? name;
      const entries: NameEntry[] = endpoints.map((e) => ({ names: e.dnsNames, ip: e.ip }));
      const ips = roundRobin.pick(wanted, entries);
      if (!ips.length) return undefined;
      // AAAA: the IPv6 addresses of those endpoints that have one (on networks with IPv6 enabled)
      if (type === 'AAAA') {
        const entries6: NameEntry[] = endpoints.flatMap((e) => (e.ip6 ? [{ names: e.dnsNames, ip: e.ip6 }] : []));
        return { kind: 'addresses', ips: roundRobin.pick(wanted, entries6) };
      }
      // a known name without an address of the asked type: an empty answer, not a forward
      return { kind: 'addresses', ips: type === 'A' ? ips : [] };
    },
    upstreams(clientIp) {
      const nets = clientNetworks(clientIp);
      if (nets.length && nets.every((n) => n.internal)) return [];
      const client = clientEndpoint(clientIp);
      const dns = client && state().containers.find((c) => c.id === client.containerId)?.dns;
      return dns?.length ? dns : hostNameservers();
    },
  };
}
