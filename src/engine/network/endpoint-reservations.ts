// Which endpoint (address, MAC, interface names) a container gets on each network it joins. Endpoints are
// reserved in the store, under its lock, before any host work (endpoint-plumbing.ts), and un-reserved when
// that work fails. An address is taken while an endpoint, a spare or a veth pair still being deleted holds it.
import { invalid, notFound } from '../errors.js';
import type { EndpointRequest } from '../contracts.js';
import { allocateEndpoint } from './addressing.js';
import type { EndpointPlumbing } from './endpoint-plumbing.js';
import { findNetworkIn } from './lookups.js';
import type { NetworkOptions } from './options.js';
import { PreviousAddresses } from './previous-addresses.js';
import type { NetworkRealizer } from './realizer.js';
import type { SparePool } from './spare-pool.js';
import type { AttachedContainer, EndpointRecord, NetworkRecord, NetworkStore, NetworkTx, SpareRecord } from './state.js';

export interface ReservedEndpoint {
  net: NetworkRecord;
  ep: EndpointRecord;
}

type Container = Pick<AttachedContainer, 'id' | 'name' | 'hostname'>;

export interface EndpointReservationParts {
  store: NetworkStore;
  plumbing: EndpointPlumbing;
  realizer: NetworkRealizer;
  spares: SparePool;
  options: NetworkOptions;
}

export class EndpointReservations {
  private readonly previous = new PreviousAddresses();

  constructor(private readonly parts: EndpointReservationParts) {}

  /** The endpoints whose addresses are taken on a network: attached ones, spares' and those still being deleted. */
  addressHolders(networkId: string): EndpointRecord[] {
    const view = this.parts.store.view;
    const held = [...this.parts.plumbing.drainingEndpoints(), ...(view.spares ?? []).map((s) => s.endpoint)];
    return [...view.endpoints.filter((e) => e.networkId === networkId), ...held.filter((e) => e.networkId === networkId)];
  }

  /** A starting container's endpoints, one per request, each network realized first. With `spareFits`
   *  (one request, no fixed address or MAC, no process yet) it takes the network's spare when there is one:
   *  the endpoint gets the spare's address and veth pair. All or nothing: on failure none stays reserved. */
  async forAttach(
    tx: NetworkTx,
    container: Container,
    requested: EndpointRequest[],
    spareFits: boolean,
  ): Promise<{ reserved: ReservedEndpoint[]; spare?: SpareRecord }> {
    const reserved: ReservedEndpoint[] = [];
    let spare: SpareRecord | undefined;
    try {
      for (const [i, req] of requested.entries()) {
        const net = findNetworkIn(tx.state.networks, req.network);
        if (!net) throw notFound(`network ${req.network} not found`);
        if (net.driver !== 'bridge')
          throw invalid(`container cannot be connected to network "${net.name}" of driver ${net.driver}: use network mode ${net.name}`);
        if (reserved.some((e) => e.net.id === net.id))
          throw invalid(`container ${container.name} cannot be connected twice to network ${net.name}`);
        await this.parts.realizer.realize(tx, net);
        // a restarting container keeps its address when it can, even if a spare has another one
        const previous = req.ipv4Address ? undefined : this.previous.of(container.id, net.id);
        const previousFree = previous !== undefined && !this.addressHolders(net.id).some((e) => e.ip === previous);
        spare = spareFits && !previousFree ? this.parts.spares.take(tx, net.id) : undefined;
        const ep = spare
          ? {
              ...this.allocate(net, container, { ...req, ipv4Address: spare.endpoint.ip, ipv6Address: spare.endpoint.ip6 }, i),
              mac: spare.endpoint.mac,
              hostInterface: spare.endpoint.hostInterface,
            }
          : this.allocate(net, container, previousFree ? { ...req, ipv4Address: previous } : req, i);
        tx.state.endpoints.push(ep);
        reserved.push({ net, ep });
      }
    } catch (err) {
      tx.state.endpoints = tx.state.endpoints.filter((e) => !reserved.some((r) => r.ep.id === e.id));
      if (spare) this.parts.spares.giveBack(tx, spare);
      throw err;
    }
    return { reserved, spare };
  }

  /** One more endpoint for a running container, on the first free ethN (the network is realized by the caller). */
  forConnect(tx: NetworkTx, container: Container, net: NetworkRecord, req: Omit<EndpointRequest, 'network'>): EndpointRecord {
    const used = new Set(tx.state.endpoints.filter((e) => e.containerId === container.id).map((e) => e.containerInterface));
    let index = 0;
    while (used.has(`eth${index}`)) index++;
    const ep = this.allocate(net, container, { network: net.id, ...req }, index);
    tx.state.endpoints.push(ep);
    return ep;
  }

  /** Un-reserves endpoints whose host work failed (nothing to save: they were never saved). */
  async release(endpoints: EndpointRecord[]): Promise<void> {
    await this.parts.store.withLock(async (tx) => {
      tx.state.endpoints = tx.state.endpoints.filter((e) => !endpoints.some((r) => r.id === e.id));
    });
  }

  /** A detached container's addresses, for its next start. */
  remember(containerId: string, endpoints: EndpointRecord[]): void {
    for (const ep of endpoints) this.previous.remember(containerId, ep.networkId, ep.ip);
  }

  private allocate(net: NetworkRecord, container: Container, req: EndpointRequest, ifIndex: number): EndpointRecord {
    return allocateEndpoint(net, this.addressHolders(net.id), container, req, ifIndex, this.parts.options);
  }
}
