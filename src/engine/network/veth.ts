// A container's endpoint: a veth pair, host side on the network's bridge, container side in the
// container's network namespace with its address and, optionally, the default route.
import { readFile } from 'node:fs/promises';
import { ipBatch, ipBatchForce, ipBatchInNetns, netnsRef, run, tryRun, type Netns } from './host.js';

export interface EndpointLink {
  netns: Netns;
  hostInterface: string;
  containerInterface: string; // eth0, eth1 …
  bridge: string;
  mac: string;
  addressCidr: string; // 10.89.0.2/24
  defaultGateway?: string;
  /** on a network with IPv6 enabled: fd00:1::2/64, and the IPv6 default route */
  address6Cidr?: string;
  defaultGateway6?: string;
  mtu?: number;
}

/** Two processes: one `ip -batch` creates the pair already on the bridge, up, with the container side
 *  named, addressed (MAC) and moved into the namespace (which it first creates when `createNetns`);
 *  one `ip -batch` in the namespace configures the rest. */
export async function createEndpointLink(link: EndpointLink, createNetns = false): Promise<void> {
  const mtu = link.mtu ? ['mtu', String(link.mtu)] : [];
  const ns = link.netns;
  await ipBatch([
    ...(createNetns && 'name' in ns ? [['netns', 'add', ns.name]] : []),
    [
      'link',
      'add',
      link.hostInterface,
      ...mtu,
      'master',
      link.bridge,
      'up',
      'type',
      'veth',
      'peer',
      'name',
      link.containerInterface,
      'address',
      link.mac,
      ...mtu,
      'netns',
      netnsRef(ns),
    ],
  ]).catch(async (err) => {
    if (createNetns && 'name' in ns) await removeNetns(ns.name, []);
    throw err;
  });
  try {
    await ipBatchInNetns(ns, [
      ['addr', 'add', link.addressCidr, 'dev', link.containerInterface],
      ['link', 'set', 'dev', link.containerInterface, 'up'],
      // no duplicate address detection: the address is the engine's to give, and usable at once
      ...(link.address6Cidr ? [['addr', 'add', link.address6Cidr, 'dev', link.containerInterface, 'nodad']] : []),
      ['link', 'set', 'dev', 'lo', 'up'],
      ...(link.defaultGateway ? [['route', 'replace', 'default', 'via', link.defaultGateway, 'dev', link.containerInterface]] : []),
      // `ip -batch` takes no -6 per line: the gateway's family makes it the IPv6 default route
      ...(link.defaultGateway6 ? [['route', 'replace', 'default', 'via', link.defaultGateway6, 'dev', link.containerInterface]] : []),
    ]);
  } catch (err) {
    await removeEndpointLink(link.hostInterface);
    if (createNetns && 'name' in ns) await removeNetns(ns.name, []);
    throw err;
  }
}

/** Deleting the host side deletes the pair; a pair whose namespace is gone has already vanished. */
export async function removeEndpointLink(hostInterface: string): Promise<void> {
  await tryRun('ip', ['link', 'del', 'dev', hostInterface]);
}

/** A named namespace and the host sides of its veth pairs, with one process. */
export async function removeNetns(name: string, hostInterfaces: string[]): Promise<void> {
  await ipBatchForce([...hostInterfaces.map((i) => ['link', 'del', 'dev', i]), ['netns', 'del', name]]);
}

/** No socket left in the named namespace, TCP connections in TIME_WAIT included (they would keep a new
 *  container from binding their ports). The namespace's own socket counters: no walk of socket tables. */
export async function netnsIsQuiet(name: string): Promise<boolean> {
  try {
    return socketsAllClosed(await run('nsenter', [`--net=/run/netns/${name}`, 'cat', '/proc/net/sockstat', '/proc/net/sockstat6']));
  } catch {
    return false;
  }
}

/** /proc/net/sockstat(6) of a namespace: nothing used, in use or in TIME_WAIT. */
export function socketsAllClosed(sockstat: string): boolean {
  const counters = [...sockstat.matchAll(/\b(used|inuse|tw) (\d+)/g)];
  return counters.length > 0 && counters.every((m) => m[2] === '0');
}

// Usually the OCI runtime has brought lo up already (its 127.0.0.1 route exists only then): no process needed.
export async function bringUpLoopback(pid: number): Promise<void> {
  const routes = await readFile(`/proc/${pid}/net/fib_trie`, 'utf8').catch(() => '');
  if (routes.includes('127.0.0.1')) return;
  await ipBatchInNetns({ pid }, [['link', 'set', 'dev', 'lo', 'up']]);
}

/** Docker's scheme: 02:42 followed by the IPv4 address. */
export function macForAddress(ipv4: string): string {
  return ['02', '42', ...ipv4.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}
