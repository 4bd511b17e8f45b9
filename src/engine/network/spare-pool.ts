// The spare-namespace pool. For each bridge network a container joined, one warm network namespace: its
// veth pair on the bridge, address and default route configured. The next container that joins that
// network alone, without a fixed address or MAC, takes it and starts without running any host command.
// When that container ends, its namespace becomes the spare again if nothing can have changed in it
// (recycle); otherwise a new spare is made in the background. Spares are not endpoints: no inspect, no DNS
// name; their addresses are held. They are recorded in the store (`spares`) so that an engine that died
// does not leave them, and their addresses, behind.
import { logFailure, type Logger } from '../log.js';
import { allocateEndpoint } from './addressing.js';
import type { EndpointPlumbing } from './endpoint-plumbing.js';
import type { NetworkOptions } from './options.js';
import type { NetworkRealizer } from './realizer.js';
import type { AttachedContainer, EndpointRecord, NetworkRecord, NetworkStore, NetworkTx, SpareRecord } from './state.js';
import { netnsIsQuiet, removeNetns } from './veth.js';

export interface SparePoolParts {
  store: NetworkStore;
  plumbing: EndpointPlumbing;
  realizer: NetworkRealizer;
  /** the endpoints whose addresses are taken on a network (a new spare must not take one of them) */
  addressHolders(networkId: string): EndpointRecord[];
  options: NetworkOptions;
  log: Logger;
}

export class SparePool {
  /** spares being made, or checked for reuse, by network id */
  private readonly builds = new Map<string, Promise<void>>();
  private closing = false;

  constructor(private readonly parts: SparePoolParts) {}

  /** The spares of a dead engine are deleted; new ones may be made again (after `close`). */
  async reopen(): Promise<void> {
    this.closing = false;
    const stale = await this.parts.store.withLock(async (tx) => {
      const left = tx.state.spares ?? [];
      tx.state.spares = [];
      return left;
    });
    await Promise.all(stale.map((s) => removeNetns(s.netns, [s.endpoint.hostInterface])));
  }

  /** Engine shutdown: no more spares; those there are deleted. */
  async close(): Promise<void> {
    this.closing = true;
    await this.discard(() => true);
  }

  /** A spare being made is nearly there: waiting for it is quicker than making another namespace. */
  async ready(networkId: string): Promise<void> {
    await this.builds.get(networkId);
  }

  /** A ready spare of the network, no longer a spare. */
  take(tx: NetworkTx, networkId: string): SpareRecord | undefined {
    const spare = this.spareOf(networkId);
    if (!spare || this.builds.has(networkId)) return undefined;
    tx.state.spares = tx.state.spares!.filter((s) => s !== spare);
    return spare;
  }

  /** A spare `take` gave for an attach that failed before using it. */
  giveBack(tx: NetworkTx, spare: SpareRecord): void {
    (tx.state.spares ??= []).push(spare);
  }

  /** Makes the network's spare in the background, unless it has one or one is being made. */
  refill(net: NetworkRecord): void {
    if (this.closing || this.builds.has(net.id) || this.spareOf(net.id)) return;
    const { store, plumbing, realizer, log } = this.parts;
    const build = (async () => {
      const spare = await store.withLock(async (tx) => {
        if (this.closing || !realizer.isRealized(net.id) || !tx.state.networks.includes(net) || this.spareOf(net.id)) return undefined;
        const endpoint = allocateEndpoint(
          net,
          this.parts.addressHolders(net.id),
          { id: '', name: '', hostname: '' },
          { network: net.id, aliases: [] },
          0,
          this.parts.options,
        );
        const made: SpareRecord = { netns: plumbing.netnsName('spare'), endpoint };
        (tx.state.spares ??= []).push(made);
        await tx.save();
        return made;
      });
      if (!spare) return;
      try {
        await plumbing.createLink({ name: spare.netns }, net, spare.endpoint, {
          defaultGateway: net.internal ? undefined : net.gateway,
          createNetns: true,
        });
      } catch (err) {
        log.debug(`a spare network namespace could not be prepared: ${(err as Error).message}`, { network: net.id });
        await this.forget(spare);
      }
    })()
      .catch(logFailure(log, 'dropping a spare network namespace', { network: net.id }))
      .finally(() => this.builds.delete(net.id));
    this.builds.set(net.id, build);
  }

  /** A container's namespace becomes its network's spare, instead of being deleted while a new one is
   *  made, when nothing can have changed in it: one interface (eth0), no capability to reconfigure it, no
   *  other container sharing it; before it is handed out, a check that no socket is left open or in
   *  TIME_WAIT. `endpoints` are the container's, already taken out of the state. */
  recycle(tx: NetworkTx, record: AttachedContainer | undefined, endpoints: EndpointRecord[]): boolean {
    const ep = endpoints[0];
    if (!record?.netns || !record.netnsReusable || endpoints.length !== 1 || ep!.containerInterface !== 'eth0' || this.closing)
      return false;
    const net = tx.state.networks.find((n) => n.id === ep!.networkId);
    if (!net || !this.parts.realizer.isRealized(net.id) || this.spareOf(net.id) || this.builds.has(net.id)) return false;
    if (tx.state.containers.some((c) => typeof c.mode === 'object' && c.mode.container === record.id)) return false;
    const spare: SpareRecord = { netns: record.netns, endpoint: { ...ep!, containerId: '', aliases: [], dnsNames: [] } };
    (tx.state.spares ??= []).push(spare);
    // not reusable after all: deleted before anyone waiting for it goes on, so that its address is free again
    // for them (a restarted container keeps its address); the next start without a spare makes a new one
    const check = netnsIsQuiet(spare.netns)
      .then(async (quiet) => {
        if (quiet) return;
        await this.forget(spare);
        await removeNetns(spare.netns, [spare.endpoint.hostInterface]);
      })
      .catch(logFailure(this.parts.log, 'checking a namespace for reuse', { network: net.id }))
      .finally(() => this.builds.delete(net.id));
    this.builds.set(net.id, check);
    return true;
  }

  /** Deletes the spares `which` selects (after those being made are done). Takes the store's lock: call
   *  it outside one. */
  async discard(which: (s: SpareRecord) => boolean): Promise<void> {
    await Promise.all([...this.builds.values()]);
    const gone = await this.parts.store.withLock(async (tx) => {
      const selected = (tx.state.spares ?? []).filter(which);
      if (!selected.length) return selected;
      tx.state.spares = (tx.state.spares ?? []).filter((s) => !selected.includes(s));
      await tx.save();
      return selected;
    });
    await Promise.all(gone.map((s) => removeNetns(s.netns, [s.endpoint.hostInterface])));
  }

  private spareOf(networkId: string): SpareRecord | undefined {
    return this.parts.store.view.spares?.find((s) => s.endpoint.networkId === networkId);
  }

  private async forget(spare: SpareRecord): Promise<void> {
    await this.parts.store.withLock(async (tx) => {
      tx.state.spares = (tx.state.spares ?? []).filter((s) => s !== spare);
      await tx.save();
    });
  }
}
