// Endpoint plumbing: the host side of a container joining or leaving networks. Each endpoint is a veth pair
// (veth.ts) between the network's bridge and the container's namespace, with its address and MAC; bridge
// mode without a process makes a named namespace for the container. Nothing here touches the store: the
// endpoints are reserved (and un-reserved) under its lock by the caller, the slow host work happens here.
import { prefix6Of } from './addressing6.js';
import { parseCidr } from './cidr.js';
import { randomId } from './addressing.js';
import type { Netns } from './host.js';
import type { NetworkOptions } from './options.js';
import type { AttachedContainer, EndpointRecord, NetworkRecord } from './state.js';
import { createEndpointLink, removeEndpointLink, removeNetns } from './veth.js';

export class EndpointPlumbing {
  /** Endpoints detached whose veth pair the kernel is still deleting (~20 ms each), by endpoint id. Their
   *  addresses stay taken until then; whatever needs the pair gone waits for it (see `drained`). */
  private readonly draining = new Map<string, { ep: EndpointRecord; done: Promise<void> }>();
  /** namespaces without endpoints being deleted */
  private readonly netnsDeletes = new Set<Promise<void>>();

  constructor(private readonly options: NetworkOptions) {}

  /** A name for the namespace of one run of a container (a new one each run: the last may still be going). */
  netnsName(containerId: string): string {
    return `${this.options.interfacePrefix}-${containerId.slice(0, 12)}-${randomId().slice(0, 6)}`;
  }

  /** One veth pair for `ep`, its container side in `netns` (made first when `createNetns`). */
  async createLink(
    netns: Netns,
    net: NetworkRecord,
    ep: EndpointRecord,
    o: { defaultGateway?: string; createNetns?: boolean } = {},
  ): Promise<void> {
    await createEndpointLink(
      {
        netns,
        hostInterface: ep.hostInterface,
        containerInterface: ep.containerInterface,
        bridge: net.bridge!,
        mac: ep.mac,
        addressCidr: `${ep.ip}/${parseCidr(net.subnet!)!.prefix}`,
        defaultGateway: o.defaultGateway,
        ...(ep.ip6 ? { address6Cidr: `${ep.ip6}/${prefix6Of(net)}`, defaultGateway6: o.defaultGateway ? net.gateway6 : undefined } : {}),
        mtu: networkMtu(net),
      },
      o.createNetns ?? false,
    );
  }

  /** The veth pairs of a container's endpoints in `netns`, a named one made with the first; `gateway` is
   *  the endpoint that gets the default route. On failure, what was made is removed before it throws. */
  async createLinks(
    netns: Netns,
    endpoints: { net: NetworkRecord; ep: EndpointRecord }[],
    gateway: EndpointRecord | undefined,
  ): Promise<void> {
    const created: EndpointRecord[] = [];
    try {
      for (const { net, ep } of endpoints) {
        const createNetns = 'name' in netns && !created.length;
        await this.createLink(netns, net, ep, { defaultGateway: ep === gateway ? net.gateway : undefined, createNetns });
        created.push(ep);
      }
    } catch (err) {
      // a first link that failed has removed the namespace it was making
      if (created.length) await this.removeLinks(netns, created);
      throw err;
    }
  }

  /** Removes the veth pairs now; a named namespace goes with them. */
  async removeLinks(netns: Netns, endpoints: EndpointRecord[]): Promise<void> {
    if ('name' in netns)
      await removeNetns(
        netns.name,
        endpoints.map((ep) => ep.hostInterface),
      );
    else for (const ep of endpoints) await removeEndpointLink(ep.hostInterface);
  }

  async removeLink(ep: EndpointRecord): Promise<void> {
    await removeEndpointLink(ep.hostInterface);
  }

  /** Deletes a container's veth pairs (and the namespace the service made for it) in the background. */
  drain(endpoints: EndpointRecord[], netns?: string): void {
    const job = netns
      ? removeNetns(
          netns,
          endpoints.map((e) => e.hostInterface),
        )
      : Promise.all(endpoints.map((e) => removeEndpointLink(e.hostInterface))).then(() => undefined);
    if (netns && !endpoints.length) {
      const done = job.then(() => {
        this.netnsDeletes.delete(done);
      });
      this.netnsDeletes.add(done);
    }
    for (const ep of endpoints) {
      const done = job.then(() => {
        this.draining.delete(ep.id);
      });
      this.draining.set(ep.id, { ep, done });
    }
  }

  /** Waits until the veth pairs of the detached endpoints matching `which` are gone. */
  async drained(which: (ep: EndpointRecord) => boolean = () => true): Promise<void> {
    await Promise.all([...this.draining.values()].filter((d) => which(d.ep)).map((d) => d.done));
  }

  /** Waits until every background deletion (veth pairs and namespaces) is done. */
  async settled(): Promise<void> {
    await Promise.all([this.drained(), ...this.netnsDeletes]);
  }

  /** Endpoints still being deleted: their addresses are not free yet. */
  drainingEndpoints(): EndpointRecord[] {
    return [...this.draining.values()].map((d) => d.ep);
  }
}

/** The namespace a container's endpoints live in. */
export function netnsOf(record: Pick<AttachedContainer, 'pid' | 'netns'>): Netns {
  return record.netns ? { name: record.netns } : { pid: record.pid! };
}

/** `com.docker.network.driver.mtu`, when set to a sane value. */
function networkMtu(net: NetworkRecord): number | undefined {
  const mtu = Number(net.options['com.docker.network.driver.mtu']);
  return Number.isInteger(mtu) && mtu >= 68 && mtu <= 65535 ? mtu : undefined;
}
