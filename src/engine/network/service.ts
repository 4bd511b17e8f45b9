// The bridge network service: the one object engine.ts wires for the network part. It implements the
// contracts (NetworkService for containers/, NetworkManagement for the routes) by running each operation's
// steps in order over the parts that do the work, each in its own module:
//   state.ts                  the store: networks, endpoints, containers, spares; changed only in withLock(tx => …)
//   network-records.ts        builtin networks and a new user network's record, checked as Docker does
//   realizer.ts               a network's bridge, firewall chains and embedded DNS on the host
//   endpoint-reservations.ts  which address a container gets on a network, reserved under the lock
//   endpoint-plumbing.ts      the veth pairs and namespaces of those endpoints (slow host work, outside the lock)
//   spare-pool.ts             one warm namespace per bridge network, for the next container
//   port-publisher.ts         the proxies of published ports (loopback clients; the rest are DNATed: port-dnat.ts)
// State lives in one file so an engine restart can restore it.
import { readFile } from 'node:fs/promises';
import { forbidden, invalid, notFound } from '../errors.js';
import { logFailure, type Logger } from '../log.js';
import type { EndpointRequest, EngineContext, NetworkAttachment, NetworkCreateRequest, NetworkService } from '../contracts.js';
import { attachmentOf } from './attachment.js';
import { parseCidr, type Subnet } from './cidr.js';
import { buildHosts, parseExtraHosts, resolvConfWithEmbeddedDns, resolvConfWithoutEmbeddedDns } from './container-files.js';
import { EndpointPlumbing, netnsOf } from './endpoint-plumbing.js';
import { EndpointReservations } from './endpoint-reservations.js';
import { hostRoutes, readHostResolvConf, type HostResolvConf } from './host.js';
import { findContainerIn, findNetworkIn } from './lookups.js';
import { BUILTIN_NETWORKS, DEFAULT_NETWORK, builtinNetwork, checkCreateRequest, userNetwork } from './network-records.js';
import type { NetworkOptions } from './options.js';
import { planPortRequests, reportPorts } from './port-bindings.js';
import { portNetworkOf } from './port-dnat.js';
import { PortPublisher, bindingsOf, type PublishedPort } from './port-publisher.js';
import { NetworkRealizer } from './realizer.js';
import { SparePool } from './spare-pool.js';
import { NetworkStore, type AttachedContainer, type EndpointRecord, type NetworkRecord, type NetworkStateView } from './state.js';
import { bringUpLoopback } from './veth.js';

export type AttachOptions = Parameters<NetworkService['attach']>[0];

export class BridgeNetworkService implements NetworkService {
  /** networks, endpoints, containers and spares; changed only under its lock (`withLock`) */
  private readonly store: NetworkStore;
  private loading?: Promise<void>;
  private readonly realizer: NetworkRealizer;
  private readonly plumbing: EndpointPlumbing;
  private readonly spares: SparePool;
  private readonly reservations: EndpointReservations;
  private readonly ports: PortPublisher;
  private hostResolv?: HostResolvConf;
  private readonly log: Logger;

  constructor(
    private readonly ctx: EngineContext,
    readonly options: NetworkOptions,
  ) {
    this.log = ctx.log.child({ component: 'network' });
    this.store = new NetworkStore(ctx.paths.networks);
    this.realizer = new NetworkRealizer(
      options,
      () => this.store.view,
      () => this.hostResolv?.nameservers ?? [],
    );
    this.plumbing = new EndpointPlumbing(options);
    // the pool and the reservations use each other (a new spare must not take a held address; a lone container
    // takes a spare): the pool asks for held addresses through a function, called only once both exist
    this.spares = new SparePool({
      store: this.store,
      plumbing: this.plumbing,
      realizer: this.realizer,
      addressHolders: (id) => this.reservations.addressHolders(id),
      options,
      log: this.log,
    });
    this.reservations = new EndpointReservations({
      store: this.store,
      plumbing: this.plumbing,
      realizer: this.realizer,
      spares: this.spares,
      options,
    });
    this.ports = new PortPublisher(this.log);
  }

  // ---- state ---------------------------------------------------------------------------------------

  private load(): Promise<void> {
    this.loading ??= this.store.withLock(async (tx) => {
      await tx.reload();
      let changed = false;
      for (const [name, driver] of BUILTIN_NETWORKS) {
        if (tx.state.networks.some((n) => n.name === name && n.builtin)) continue;
        tx.state.networks.push(await builtinNetwork(name, driver, this.options, () => this.takenSubnets()));
        changed = true;
      }
      if (changed) await tx.save();
    });
    return this.loading;
  }

  /** The state as it is now, to read: every change goes through `store.withLock`. */
  private get state(): NetworkStateView {
    return this.store.view;
  }

  private async takenSubnets(): Promise<Subnet[]> {
    const own = this.state.networks.flatMap((n) => (n.subnet ? [parseCidr(n.subnet)!] : []));
    return [...(await hostRoutes()).map((r) => r.subnet), ...own];
  }

  private async hostResolvConf(): Promise<HostResolvConf> {
    this.hostResolv ??= await readHostResolvConf(this.options.hostResolvConf);
    return this.hostResolv;
  }

  // ---- lookups -------------------------------------------------------------------------------------

  async networks(): Promise<NetworkRecord[]> {
    await this.load();
    return [...this.state.networks];
  }

  /** Docker's order: full id, then name, then unique id prefix. */
  async findNetwork(ref: string): Promise<NetworkRecord | undefined> {
    await this.load();
    return findNetworkIn(this.state.networks, ref);
  }

  private async mustFindNetwork(ref: string): Promise<NetworkRecord> {
    const net = await this.findNetwork(ref);
    if (!net) throw notFound(`network ${ref} not found`);
    return net;
  }

  endpointsOf(networkId: string): EndpointRecord[] {
    return this.state.endpoints.filter((e) => e.networkId === networkId);
  }

  containerName(containerId: string): string {
    return this.state.containers.find((c) => c.id === containerId)?.name ?? '';
  }

  /** The live attachment of a container (changes with connect/disconnect), for container inspect. */
  async attachmentOf(containerId: string): Promise<NetworkAttachment | undefined> {
    await this.load();
    const record = this.state.containers.find((c) => c.id === containerId);
    return record && attachmentOf(this.state, record);
  }

  // ---- networks ------------------------------------------------------------------------------------

  async createNetwork(req: NetworkCreateRequest): Promise<NetworkRecord> {
    await this.load();
    await this.hostResolvConf();
    checkCreateRequest(req);
    const net = await this.store.withLock(async (tx) => {
      const record = await userNetwork(req, tx.state.networks, this.options, () => this.takenSubnets());
      tx.state.networks.push(record);
      await tx.save();
      return record;
    });
    this.ctx.events.publish({ Type: 'network', Action: 'create', Actor: { ID: net.id, Attributes: { name: net.name, type: net.driver } } });
    return net;
  }

  async removeNetwork(ref: string): Promise<void> {
    const net = await this.mustFindNetwork(ref);
    if (!net.builtin) await this.spares.discard((s) => s.endpoint.networkId === net.id);
    await this.store.withLock(async (tx) => {
      if (net.builtin) throw forbidden(`${net.name} is a pre-defined network and cannot be removed`);
      if (this.endpointsOf(net.id).length)
        throw forbidden(`error while removing network: network ${net.name} id ${net.id} has active endpoints`);
      await this.plumbing.drained((e) => e.networkId === net.id);
      await this.realizer.unrealize(tx, net);
      tx.state.networks = tx.state.networks.filter((n) => n.id !== net.id);
      await tx.save();
    });
    this.ctx.events.publish({
      Type: 'network',
      Action: 'destroy',
      Actor: { ID: net.id, Attributes: { name: net.name, type: net.driver } },
    });
  }

  /** Removes the user networks no container uses; returns their names. */
  async prune(keep: (net: NetworkRecord) => boolean = () => false): Promise<string[]> {
    const candidates = (await this.networks()).filter((n) => !n.builtin && !this.endpointsOf(n.id).length && !keep(n));
    const removed: string[] = [];
    for (const net of candidates) {
      try {
        await this.removeNetwork(net.id);
        removed.push(net.name);
      } catch {
        /* became busy meanwhile */
      }
    }
    return removed;
  }

  // ---- endpoints -----------------------------------------------------------------------------------

  async attach(opts: AttachOptions): Promise<NetworkAttachment> {
    await this.load();
    const host = await this.hostResolvConf();
    if (this.state.containers.some((c) => c.id === opts.containerId)) await this.detach(opts.containerId);
    // its old interfaces (eth0 …) must be gone from the namespace before new ones take their names
    await this.plumbing.drained((e) => e.containerId === opts.containerId);
    const base = {
      id: opts.containerId,
      name: opts.containerName.replace(/^\//, ''),
      hostname: opts.hostname,
      pid: opts.pid,
      dns: opts.dns,
      ports: {},
      netns: opts.mode === 'bridge' && !opts.pid ? this.plumbing.netnsName(opts.containerId) : undefined,
      netnsReusable: opts.mode === 'bridge' && !opts.pid && !opts.configuresNetwork,
    };
    if (opts.mode === 'host') {
      const hosts = await readFile(this.options.hostHosts, 'utf8').catch(() =>
        buildHosts({ hostname: opts.hostname, addresses: [], extraHosts: [] }),
      );
      const extra = parseExtraHosts(opts.extraHosts, undefined)
        .map((h) => `${h.ip}\t${h.name}\n`)
        .join('');
      const resolvConf = await readFile(this.options.hostResolvConf, 'utf8').catch(() =>
        resolvConfWithoutEmbeddedDns(host, opts.dns, opts.dnsSearch, opts.dnsOptions),
      );
      return this.commitSimple({ ...base, mode: 'host', resolvConf, hosts: hosts + extra });
    }
    if (opts.mode === 'none') {
      if (opts.pid) await bringUpLoopback(opts.pid);
      const hosts = buildHosts({ hostname: opts.hostname, addresses: [], extraHosts: parseExtraHosts(opts.extraHosts, undefined) });
      return this.commitSimple({
        ...base,
        mode: 'none',
        resolvConf: resolvConfWithoutEmbeddedDns(host, opts.dns, opts.dnsSearch, opts.dnsOptions),
        hosts,
      });
    }
    if (typeof opts.mode === 'object') {
      const target = findContainerIn(this.state.containers, opts.mode.container);
      if (!target) throw notFound(`cannot join the network namespace of container ${opts.mode.container}: it is not running`);
      return this.commitSimple({ ...base, mode: { container: target.id }, resolvConf: target.resolvConf, hosts: target.hosts, ports: {} });
    }
    return this.attachBridge(opts, base, host);
  }

  // none, host and container:<x> modes hold nothing of the host's (no address, no interface): their records
  // are not worth a state file write on every start and stop (they are saved along with the next change)
  private async commitSimple(record: AttachedContainer): Promise<NetworkAttachment> {
    await this.store.withLock(async (tx) => {
      tx.state.containers.push(record);
    });
    return { networks: {}, ports: record.ports, resolvConf: record.resolvConf, hosts: record.hosts };
  }

  /** Reserve endpoints (under the lock), plumb them and publish ports (outside it), then commit the record;
   *  a failure before the commit un-does what was done. */
  private async attachBridge(
    opts: AttachOptions,
    base: Omit<AttachedContainer, 'mode' | 'resolvConf' | 'hosts'>,
    host: HostResolvConf,
  ): Promise<NetworkAttachment> {
    const requested = opts.endpoints.length ? opts.endpoints : [{ network: DEFAULT_NETWORK, aliases: [] }];
    const portRequests = planPortRequests(opts.portBindings, opts.publishAll, opts.exposedPorts);
    const fixed = requested.map((r) => r.ipv4Address).filter(Boolean);
    if (fixed.length) await this.spares.discard((s) => fixed.includes(s.endpoint.ip));
    await this.plumbing.drained((e) => requested.some((r) => r.ipv4Address === e.ip));
    const spareFits =
      requested.length === 1 && !requested[0]!.ipv4Address && !requested[0]!.ipv6Address && !requested[0]!.macAddress && !opts.pid;
    if (spareFits) await this.spares.ready((await this.findNetwork(requested[0]!.network))?.id ?? '');
    const { reserved, spare } = await this.store.withLock((tx) => this.reservations.forAttach(tx, base, requested, spareFits));
    if (spare) base.netns = spare.netns;
    const gatewayEndpoint = reserved.find((r) => !r.net.internal);
    let published: PublishedPort[] = [];
    let hosts: string;
    const netns = netnsOf(base);
    let linked = false;
    try {
      hosts = buildHosts({
        hostname: opts.hostname,
        addresses: reserved.flatMap((r) => [r.ep.ip, ...(r.ep.ip6 ? [r.ep.ip6] : [])]),
        extraHosts: parseExtraHosts(opts.extraHosts, gatewayEndpoint?.net.gateway),
      });
      // a spare's namespace has its one link already
      if (!spare) await this.plumbing.createLinks(netns, reserved, gatewayEndpoint?.ep);
      linked = true;
      if (gatewayEndpoint) published = await this.ports.open(portRequests, gatewayEndpoint.ep, base.name);
    } catch (err) {
      if (linked)
        await this.plumbing.removeLinks(
          netns,
          reserved.map((r) => r.ep),
        );
      await this.reservations.release(reserved.map((r) => r.ep));
      throw err;
    }
    const userNetwork = reserved.find((r) => !r.net.builtin);
    const record: AttachedContainer = {
      ...base,
      mode: 'bridge',
      hosts,
      ports: reportPorts([...opts.exposedPorts, ...Object.keys(opts.portBindings)], bindingsOf(published)),
      resolvConf: userNetwork
        ? resolvConfWithEmbeddedDns(userNetwork.net.gateway!, opts.dnsSearch, opts.dnsOptions)
        : resolvConfWithoutEmbeddedDns(host, opts.dns, opts.dnsSearch, opts.dnsOptions),
      portTargetIp: gatewayEndpoint?.ep.ip,
    };
    try {
      await this.store.withLock(async (tx) => {
        tx.state.containers.push(record);
        await tx.save();
        const portNetwork = portNetworkOf(tx.state, record.id);
        if (portNetwork) await this.realizer.syncPorts(tx, portNetwork);
      });
    } catch (err) {
      await Promise.all(published.map((p) => p.proxy.close()));
      await this.detach(record.id);
      throw err;
    }
    this.ports.hold(record.id, published);
    for (const { net } of reserved) this.publishEndpointEvent('connect', net, record.id);
    // a container that took a spare and cannot change it hands it back when it ends (see `recycle`)
    if (spareFits && record.netns && !(spare && record.netnsReusable)) this.spares.refill(reserved[0]!.net);
    return { ...attachmentOf(this.state, record), netnsPath: record.netns && `/run/netns/${record.netns}` };
  }

  private publishEndpointEvent(action: 'connect' | 'disconnect', net: NetworkRecord, containerId: string): void {
    this.ctx.events.publish({
      Type: 'network',
      Action: action,
      Actor: { ID: net.id, Attributes: { container: containerId, name: net.name, type: net.driver } },
    });
  }

  async detach(containerId: string): Promise<void> {
    await this.load();
    const removed = await this.store.withLock(async (tx) => {
      const endpoints = tx.state.endpoints.filter((e) => e.containerId === containerId);
      const record = tx.state.containers.find((c) => c.id === containerId);
      if (!record && !endpoints.length) return [];
      const portNetwork = portNetworkOf(tx.state, containerId);
      tx.state.endpoints = tx.state.endpoints.filter((e) => e.containerId !== containerId);
      tx.state.containers = tx.state.containers.filter((c) => c.id !== containerId);
      this.reservations.remember(containerId, endpoints);
      if (!this.spares.recycle(tx, record, endpoints)) this.plumbing.drain(endpoints, record?.netns);
      if (endpoints.length || record?.mode === 'bridge') await tx.save();
      if (portNetwork)
        await this.realizer
          .syncPorts(tx, portNetwork)
          .catch(logFailure(this.log, 'removing the DNAT rules of published ports', { container: containerId }));
      return endpoints;
    });
    await this.ports.release(containerId);
    for (const ep of removed) {
      const net = this.state.networks.find((n) => n.id === ep.networkId);
      if (net) this.publishEndpointEvent('disconnect', net, containerId);
    }
  }

  /** POST /networks/{id}/connect for a running, attached container: one more interface. */
  async connect(networkRef: string, containerRef: string, req: Omit<EndpointRequest, 'network'>): Promise<void> {
    const net = await this.mustFindNetwork(networkRef);
    if (req.ipv4Address) await this.spares.discard((s) => s.endpoint.ip === req.ipv4Address);
    await this.plumbing.drained(
      (e) => e.ip === req.ipv4Address || e.containerId === findContainerIn(this.state.containers, containerRef)?.id,
    );
    const { record, ep } = await this.store.withLock(async (tx) => {
      const record = findContainerIn(tx.state.containers, containerRef);
      if (!record) throw notFound(`No such container: ${containerRef} (only running containers can be connected)`);
      if (record.mode !== 'bridge' || net.driver !== 'bridge')
        throw invalid(`container ${record.name} uses network mode ${JSON.stringify(record.mode)} and cannot be connected to ${net.name}`);
      if (tx.state.endpoints.some((e) => e.containerId === record.id && e.networkId === net.id))
        throw forbidden(`endpoint with name ${record.name} already exists in network ${net.name}`);
      await this.realizer.realize(tx, net);
      return { record, ep: this.reservations.forConnect(tx, record, net, req) };
    });
    try {
      await this.plumbing.createLink(netnsOf(record), net, ep);
    } catch (err) {
      await this.reservations.release([ep]);
      throw err;
    }
    await this.store.withLock((tx) => tx.save());
    this.publishEndpointEvent('connect', net, record.id);
  }

  async disconnect(networkRef: string, containerRef: string): Promise<void> {
    const net = await this.mustFindNetwork(networkRef);
    const ep = await this.store.withLock(async (tx) => {
      const record = findContainerIn(tx.state.containers, containerRef);
      const ep = record && tx.state.endpoints.find((e) => e.containerId === record.id && e.networkId === net.id);
      if (!ep) throw notFound(`container ${containerRef} is not connected to network ${net.name}`);
      const portNetwork = portNetworkOf(tx.state, record.id);
      tx.state.endpoints = tx.state.endpoints.filter((e) => e.id !== ep.id);
      await tx.save();
      if (portNetwork === net.id) await this.realizer.syncPorts(tx, net.id);
      return ep;
    });
    await this.plumbing.removeLink(ep);
    this.publishEndpointEvent('disconnect', net, ep.containerId);
  }

  // ---- lifecycle -----------------------------------------------------------------------------------

  async restore(running: { containerId: string; pid: number }[]): Promise<void> {
    await this.load();
    await this.hostResolvConf();
    // spares of an engine that stopped without discarding them (it died)
    await this.spares.reopen();
    const alive = new Map(running.map((r) => [r.containerId, r.pid]));
    const gone = this.state.containers
      .filter((c) => !alive.has(c.id) || (c.pid !== undefined && alive.get(c.id) !== c.pid))
      .map((c) => c.id);
    const orphans = this.state.endpoints.filter((e) => !this.state.containers.some((c) => c.id === e.containerId));
    for (const id of gone) await this.detach(id);
    await Promise.all([this.plumbing.settled(), ...orphans.map((ep) => this.plumbing.removeLink(ep))]);
    await this.store.withLock(async (tx) => {
      tx.state.endpoints = tx.state.endpoints.filter((e) => !orphans.includes(e));
      for (const net of tx.state.networks) {
        if (net.driver !== 'bridge') continue;
        try {
          // what a crashed engine left behind for networks nobody uses goes away; they come back with an endpoint
          if (this.endpointsOf(net.id).length) await this.realizer.realize(tx, net);
          else await this.realizer.unrealize(tx, net);
        } catch (err) {
          this.log.warn(`restoring the network after an engine restart: ${(err as Error).message}`, { network: net.name });
        }
      }
      for (const record of tx.state.containers) await this.ports.reopen(record);
      await tx.save();
      // realize re-made the chains empty; rules of containers that did not survive are not planned again
      for (const net of tx.state.networks) {
        await this.realizer
          .syncPorts(tx, net.id)
          .catch(logFailure(this.log, 'restoring the DNAT rules of published ports', { network: net.name }));
      }
    });
  }

  /** Engine shutdown: stops the listeners of this process (DNS, port proxies) and takes down the networks
   *  it brought up that have no endpoints; running containers' endpoints and networks stay for `restore`. */
  async close(): Promise<void> {
    await this.spares.close();
    await this.plumbing.settled();
    await this.ports.closeAll();
    await this.store.withLock(async (tx) => {
      const idle = tx.state.networks.filter((n) => this.realizer.isRealized(n.id) && !this.endpointsOf(n.id).length);
      await Promise.all(
        idle.map((n) => this.realizer.unrealize(tx, n).catch(logFailure(this.log, 'taking down an idle network', { network: n.name }))),
      );
    });
    await this.realizer.stop();
  }

  /** Removes everything this service put on the host: endpoints, bridges, chains (tests, uninstall). */
  async teardown(): Promise<void> {
    await this.load();
    for (const c of [...this.state.containers]) await this.detach(c.id);
    await this.close();
    await this.store.withLock(async (tx) => {
      for (const net of tx.state.networks) if (net.driver === 'bridge') await this.realizer.unrealize(tx, net);
    });
  }
}
