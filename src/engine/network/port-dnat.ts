// The DNAT rules of a network's published ports, planned from the state: every running container whose
// published ports target its endpoint on the network. The chain is rewritten whole from the state on each
// change, so rules of containers that are gone (an engine that crashed between a stop and its clean-up)
// disappear with the next change or restore, and never outlive the network's chains.
import net from 'node:net';
import type { IpFamily, PortDnat } from './firewall.js';
import type { NetworkStateView } from './state.js';

/** A host address the DNAT rules of `family` serve ("" = every address), or undefined: loopback stays with
 *  the userland proxy (the kernel does not route loopback out of the host), other families are not theirs.
 *  A binding on every address is reported as two, 0.0.0.0 and :: (see port-publisher.ts), one per family. */
function dnatHostIp(hostIp: string, family: IpFamily): string | undefined {
  if (hostIp === '' || hostIp === (family === 4 ? '0.0.0.0' : '::')) return '';
  if (hostIp === '0.0.0.0' || hostIp === '::') return undefined;
  if (family === 4) return net.isIPv4(hostIp) && !hostIp.startsWith('127.') ? hostIp : undefined;
  return net.isIPv6(hostIp) && hostIp !== '::1' && !hostIp.startsWith('::ffff:') ? hostIp : undefined;
}

export function planPortDnat(state: NetworkStateView, networkId: string, family: IpFamily): PortDnat[] {
  const forwards: PortDnat[] = [];
  for (const c of state.containers) {
    if (!c.portTargetIp) continue;
    const target = state.endpoints.find((e) => e.containerId === c.id && e.ip === c.portTargetIp);
    if (target?.networkId !== networkId) continue;
    const containerIp = family === 4 ? target.ip : target.ip6;
    if (!containerIp) continue;
    for (const [key, bindings] of Object.entries(c.ports)) {
      const [port, protocol] = key.split('/');
      for (const b of bindings ?? []) {
        const hostIp = dnatHostIp(b.HostIp ?? '', family);
        const hostPort = Number(b.HostPort);
        if (hostIp === undefined || !hostPort) continue;
        forwards.push({ protocol: protocol === 'udp' ? 'udp' : 'tcp', hostIp, hostPort, containerIp, containerPort: Number(port) });
      }
    }
  }
  return forwards;
}

/** The network a container's published ports go to (its gateway endpoint's), if any. */
export function portNetworkOf(state: NetworkStateView, containerId: string): string | undefined {
  const c = state.containers.find((x) => x.id === containerId);
  if (!c?.portTargetIp || !Object.values(c.ports).some((b) => b?.length)) return undefined;
  return state.endpoints.find((e) => e.containerId === containerId && e.ip === c.portTargetIp)?.networkId;
}
