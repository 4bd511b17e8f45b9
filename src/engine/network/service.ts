// The bridge network service: networks with their bridges, firewall chains and embedded DNS; container
// endpoints (veth pairs); published ports. State lives in one file so an engine restart can restore it.
import { readFile } from 'node:fs/promises';
import { conflict, forbidden, internal, invalid, notFound } from '../errors.js';
import { logFailure, type Logger } from '../log.js';
import type { EndpointRequest, EndpointSettings, EngineContext, NetworkAttachment, NetworkCreateRequest, NetworkService } from '../contracts.js';
import { formatCidr, formatIPv4, parseCidr, type Subnet } from './cidr.js';
import { allocateEndpoint, planAddressing, randomId } from './addressing.js';
import { buildHosts, parseExtraHosts, resolvConfWithEmbeddedDns, resolvConfWithoutEmbeddedDns } from './container-files.js';
import { hostRoutes, readHostResolvConf, type HostResolvConf } from './host.js';
import { allocateSubnet, firstHost } from './ipam.js';
import { bridgeName, type NetworkOptions } from './options.js';
import { planPortRequests, reportPorts } from './port-bindings.js';
import { PortPublisher, bindingsOf, type PublishedPort } from './port-publisher.js';
import { NetworkStore, type ContainerRecord, type EndpointRecord, type NetworkRecord, type NetworkStateView, type SpareRecord } from './state.js';
import { bringUpLoopback } from './veth.js';
import { SparePool } from './spare-pool.js';
import { EndpointPlumbing, netnsOf } from './endpoint-plumbing.js';
import { NetworkRealizer } from './realizer.js';

export type AttachOptions = Parameters<NetworkService['attach']>[0];

const DEFAULT_NETWORK = 'bridge';
// Docker Engine takes any network name (spaces included: docker-py's tests make such networks); one with a
// slash could not be named in an API path, and control characters have no place in one
const NAME_PATTERN = /^[^/\x00-\x1f\x7f]+$/;

export class BridgeNetworkService implements NetworkService {
  /** networks, endpoints, containers and spares; changed only under its lock (`withLock`) */
  private readonly store: NetworkStore;
  private loading?: Promise<void>;
  private readonly realizer: NetworkRealizer;
  private readonly ports: PortPublisher;
  private readonly plumbing: EndpointPlumbing;
  /** the address a container last had on a network ("<container id>/<network id>"), which it gets again
   *  when it restarts and the address is still free (bounded: oldest entries go first) */
  private readonly previousAddress = new Map<string, string>();
  private readonly spares: SparePool;
  private hostResolv?: HostResolvConf;

  private readonly log: Logger;

  constructor(private readonly ctx: EngineContext, readonly options: NetworkOptions) {
    this.log = ctx.log.child({ component: 'network' });
    this.store = new NetworkStore(ctx.paths.networks);
    this.ports = new PortPublisher(this.log);
    this.plumbing = new EndpointPlumbing(options);
    this.realizer = new NetworkRealizer(options, () => this.store.view, () => this.hostResolv?.nameservers ?? []);
    this.spares = new SparePool({
      store: this.store, plumbing: this.plumbing, realizer: this.realizer, addressHolders: (id) => this.addressHolders(id), options, log: this.log,
    });
  }

  // ---- state ---------------------------------------------------------------------------------------

  private load(): Promise<void> {
    this.loading ??= this.store.withLock(async (tx) => {
      await tx.reload();
      const builtins: [string, NetworkRecord['driver']][] = [[DEFAULT_NETWORK, 'bridge'], ['host', 'host'], ['none', 'null']];
      let changed = false;
      for (const [name, driver] of builtins) {
        if (tx.state.networks.some((n) => n.name === name && n.builtin)) continue;
        const record = this.newRecord(name, driver, true);
        if (driver === 'bridge') {
          const subnet = allocateSubnet(this.options.pools, await this.takenSubnets());
          if (!subnet) throw internal('no free subnet in the address pools for the default bridge network');
          Object.assign(record, { subnet: formatCidr(subnet), autoSubnet: true, gateway: formatIPv4(firstHost(subnet)), bridge: bridgeName(this.options, record.id) });
        }
        tx.state.networks.push(record);
        changed = true;
      }
      if (changed) await tx.save();
    });
    return this.loading;
  }

  /** The state as it is now, to read: every change goes through `store.withLock`. */
  private get state(): NetworkStateView { return this.store.view; }

  private newRecord(name: string, driver: NetworkRecord['driver'], builtin: boolean): NetworkRecord {
    return { id: randomId(), name, created: new Date().toISOString(), driver, builtin, internal: false, attachable: false, labels: {}, options: {}, ipamOptions: {} };
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
    const all = this.state.networks;
    const byPrefix = all.filter((n) => n.id.startsWith(ref));
    return all.find((n) => n.id === ref) ?? all.find((n) => n.name === ref) ?? (ref && byPrefix.length === 1 ? byPrefix[0] : undefined);
  }

  private async mustFindNetwork(ref: string): Promise<NetworkRecord> {
    const net = await this.findNetwork(ref);
    if (!net) throw notFound(`network ${ref} not found`);
    return net;
  }

  private findContainer(ref: string): ContainerRecord | undefined {
    const all = this.state.containers;
    const byPrefix = all.filter((c) => c.id.startsWith(ref));
    return all.find((c) => c.id === ref) ?? all.find((c) => c.name === ref.replace(/^\//, '')) ?? (ref && byPrefix.length === 1 ? byPrefix[0] : undefined);
  }

  endpointsOf(networkId: string): EndpointRecord[] {
    return this.state.endpoints.filter((e) => e.networkId === networkId);
  }

  /** The endpoints whose addresses are taken on a network: attached ones and those still being deleted. */
  private addressHolders(networkId: string): EndpointRecord[] {
    const held = [...this.plumbing.drainingEndpoints(), ...(this.state.spares ?? []).map((s) => s.endpoint)];
    return [...this.endpointsOf(networkId), ...held.filter((e) => e.networkId === networkId)];
  }

  private rememberAddress(key: string, ip: string): void {
    this.previousAddress.delete(key);
    this.previousAddress.set(key, ip);
    if (this.previousAddress.size > 4096) this.previousAddress.delete(this.previousAddress.keys().next().value!);
  }

  containerName(containerId: string): string {
    return this.state.containers.find((c) => c.id === containerId)?.name ?? '';
  }

  /** The live attachment of a container (changes with connect/disconnect), for container inspect. */
  async attachmentOf(containerId: string): Promise<NetworkAttachment | undefined> {
    await this.load();
    const record = this.state.containers.find((c) => c.id === containerId);
    return record && this.attachment(record);
  }

  private attachment(record: ContainerRecord): NetworkAttachment {
    const networks: Record<string, EndpointSettings> = {};
    for (const ep of this.state.endpoints.filter((e) => e.containerId === record.id)) {
      const net = this.state.networks.find((n) => n.id === ep.networkId);
      if (net) networks[net.name] = endpointSettings(net, ep);
    }
    return { networks, ports: record.ports, resolvConf: record.resolvConf, hosts: record.hosts };
  }

  // ---- networks ------------------------------------------------------------------------------------

  async createNetwork(req: NetworkCreateRequest): Promise<NetworkRecord> {
    await this.load();
    await this.hostResolvConf();
    const name = req.name;
    if (!NAME_PATTERN.test(name)) throw invalid(`invalid network name ${JSON.stringify(name)}: a name must not be empty nor hold a slash or control characters`);
    // an IPv6 subnet would otherwise be dropped silently and inspect would claim an IPv4-only network
    if (req.enableIPv6 || (req.ipamConfig ?? []).some((c) => c.subnet?.includes(':'))) {
      throw invalid('IPv6 networks are not supported by the tscompose engine (EnableIPv6 and IPv6 subnets)');
    }
    const driver = req.driver || 'bridge';
    if (driver !== 'bridge') throw invalid(`network driver "${driver}" is not supported by the bundled engine: only "bridge"`);
    const net = await this.store.withLock(async (tx) => {
      if (tx.state.networks.some((n) => n.name === name)) throw conflict(`network with name ${name} already exists`);
      const record = this.newRecord(name, 'bridge', false);
      record.internal = Boolean(req.internal);
      record.attachable = Boolean(req.attachable);
      record.labels = req.labels ?? {};
      record.options = req.options ?? {};
      record.ipamOptions = req.ipamOptions ?? {};
      record.bridge = record.options['com.docker.network.bridge.name'] || bridgeName(this.options, record.id);
      const config = (req.ipamConfig ?? []).filter((c) => !c.subnet?.includes(':'))[0];
      Object.assign(record, planAddressing(name, config, tx.state.networks, config?.subnet ? [] : await this.takenSubnets(), this.options.pools));
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
      if (this.endpointsOf(net.id).length) throw forbidden(`error while removing network: network ${net.name} id ${net.id} has active endpoints`);
      await this.plumbing.drained((e) => e.networkId === net.id);
      await this.realizer.unrealize(tx, net);
      tx.state.networks = tx.state.networks.filter((n) => n.id !== net.id);
      await tx.save();
    });
    this.ctx.events.publish({ Type: 'network', Action: 'destroy', Actor: { ID: net.id, Attributes: { name: net.name, type: net.driver } } });
  }

  /** Removes the user networks no container uses; returns their names. */
  async prune(keep: (net: NetworkRecord) => boolean = () => false): Promise<string[]> {
    const candidates = (await this.networks()).filter((n) => !n.builtin && !this.endpointsOf(n.id).length && !keep(n));
    const removed: string[] = [];
    for (const net of candidates) {
      try { await this.removeNetwork(net.id); removed.push(net.name); } catch { /* became busy meanwhile */ }
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
      id: opts.containerId, name: opts.containerName.replace(/^\//, ''), hostname: opts.hostname, pid: opts.pid, dns: opts.dns, ports: {},
      netns: opts.mode === 'bridge' && !opts.pid ? this.plumbing.netnsName(opts.containerId) : undefined,
      netnsReusable: opts.mode === 'bridge' && !opts.pid && !opts.configuresNetwork,
    };
    if (opts.mode === 'host') {
      const hosts = await readFile(this.options.hostHosts, 'utf8').catch(() => buildHosts({ hostname: opts.hostname, addresses: [], extraHosts: [] }));
      const extra = parseExtraHosts(opts.extraHosts, undefined).map((h) => `${h.ip}\t${h.name}\n`).join('');
      const resolvConf = await readFile(this.options.hostResolvConf, 'utf8').catch(() => resolvConfWithoutEmbeddedDns(host, opts.dns, opts.dnsSearch, opts.dnsOptions));
      return this.commitSimple({ ...base, mode: 'host', resolvConf, hosts: hosts + extra });
    }
    if (opts.mode === 'none') {
      if (opts.pid) await bringUpLoopback(opts.pid);
      const hosts = buildHosts({ hostname: opts.hostname, addresses: [], extraHosts: parseExtraHosts(opts.extraHosts, undefined) });
      return this.commitSimple({ ...base, mode: 'none', resolvConf: resolvConfWithoutEmbeddedDns(host, opts.dns, opts.dnsSearch, opts.dnsOptions), hosts });
    }
    if (typeof opts.mode === 'object') {
      const target = this.findContainer(opts.mode.container);
      if (!target) throw notFound(`cannot join the network namespace of container ${opts.mode.container}: it is not running`);
      return this.commitSimple({ ...base, mode: { container: target.id }, resolvConf: target.resolvConf, hosts: target.hosts, ports: {} });
    }
    return this.attachBridge(opts, base, host);
  }

  // none, host and container:<x> modes hold nothing of the host's (no address, no interface): their records
  // are not worth a state file write on every start and stop (they are saved along with the next change)
  private async commitSimple(record: ContainerRecord): Promise<NetworkAttachment> {
    await this.store.withLock(async (tx) => { tx.state.containers.push(record); });
    return { networks: {}, ports: record.ports, resolvConf: record.resolvConf, hosts: record.hosts };
  }

  private async attachBridge(opts: AttachOptions, base: Omit<ContainerRecord, 'mode' | 'resolvConf' | 'hosts'>, host: HostResolvConf): Promise<NetworkAttachment> {
    const requested = opts.endpoints.length ? opts.endpoints : [{ network: DEFAULT_NETWORK, aliases: [] }];
    const portRequests = planPortRequests(opts.portBindings, opts.publishAll, opts.exposedPorts);
    const fixed = requested.map((r) => r.ipv4Address).filter(Boolean);
    if (fixed.length) await this.spares.discard((s) => fixed.includes(s.endpoint.ip));
    await this.plumbing.drained((e) => requested.some((r) => r.ipv4Address === e.ip));
    const spareFits = requested.length === 1 && !requested[0]!.ipv4Address && !requested[0]!.macAddress && !opts.pid;
    // a spare being made is nearly there: waiting for it is quicker than making another namespace
    if (spareFits) await this.spares.ready((await this.findNetwork(requested[0]!.network))?.id ?? '');
    let spare: SpareRecord | undefined;
    const reserved = await this.store.withLock(async (tx) => {
      const endpoints: { net: NetworkRecord; ep: EndpointRecord }[] = [];
      try {
        for (const [i, req] of requested.entries()) {
          const net = await this.mustFindNetwork(req.network);
          if (net.driver !== 'bridge') throw invalid(`container cannot be connected to network "${net.name}" of driver ${net.driver}: use network mode ${net.name}`);
          if (endpoints.some((e) => e.net.id === net.id)) throw invalid(`container ${base.name} cannot be connected twice to network ${net.name}`);
          await this.realizer.realize(tx, net);
          // a restarting container keeps its address when it can, even if a spare has another one
          const previous = req.ipv4Address ? undefined : this.previousAddress.get(`${base.id}/${net.id}`);
          const previousFree = previous !== undefined && !this.addressHolders(net.id).some((e) => e.ip === previous);
          spare = spareFits && !previousFree ? this.spares.take(tx, net.id) : undefined;
          const ep = spare
            ? { ...allocateEndpoint(net, this.addressHolders(net.id), base, { ...req, ipv4Address: spare.endpoint.ip }, i, this.options), mac: spare.endpoint.mac, hostInterface: spare.endpoint.hostInterface }
            : allocateEndpoint(net, this.addressHolders(net.id), base, previousFree ? { ...req, ipv4Address: previous } : req, i, this.options);
          tx.state.endpoints.push(ep);
          endpoints.push({ net, ep });
        }
      } catch (err) {
        tx.state.endpoints = tx.state.endpoints.filter((e) => !endpoints.some((r) => r.ep.id === e.id));
        if (spare) this.spares.giveBack(tx, spare);
        throw err;
      }
      return endpoints;
    });
    if (spare) base.netns = spare.netns;
    const gatewayEndpoint = reserved.find((r) => !r.net.internal);
    let published: PublishedPort[] = [];
    let hosts: string;
    const netns = netnsOf(base);
    let linked = false;
    try {
      hosts = buildHosts({ hostname: opts.hostname, addresses: reserved.map((r) => r.ep.ip), extraHosts: parseExtraHosts(opts.extraHosts, gatewayEndpoint?.net.gateway) });
      // a spare's namespace has its one link already
      if (!spare) await this.plumbing.createLinks(netns, reserved, gatewayEndpoint?.ep);
      linked = true;
      if (gatewayEndpoint) published = await this.ports.open(portRequests, gatewayEndpoint.ep, base.name);
    } catch (err) {
      if (linked) await this.plumbing.removeLinks(netns, reserved.map((r) => r.ep));
      await this.store.withLock(async (tx) => {
        tx.state.endpoints = tx.state.endpoints.filter((e) => !reserved.some((r) => r.ep.id === e.id));
      });
      throw err;
    }
    const userNetwork = reserved.find((r) => !r.net.builtin);
    const record: ContainerRecord = {
      ...base, mode: 'bridge', hosts,
      ports: reportPorts([...opts.exposedPorts, ...Object.keys(opts.portBindings)], bindingsOf(published)),
      resolvConf: userNetwork
        ? resolvConfWithEmbeddedDns(userNetwork.net.gateway!, opts.dnsSearch, opts.dnsOptions)
        : resolvConfWithoutEmbeddedDns(host, opts.dns, opts.dnsSearch, opts.dnsOptions),
      portTargetIp: gatewayEndpoint?.ep.ip,
    };
    await this.store.withLock(async (tx) => { tx.state.containers.push(record); await tx.save(); });
    this.ports.hold(record.id, published);
    for (const { net } of reserved) this.publishEndpointEvent('connect', net, record.id);
    // a container that took a spare and cannot change it hands it back when it ends (see `recycle`)
    if (spareFits && record.netns && !(spare && record.netnsReusable)) this.spares.refill(reserved[0]!.net);
    return { ...this.attachment(record), netnsPath: record.netns && `/run/netns/${record.netns}` };
  }

  private publishEndpointEvent(action: 'connect' | 'disconnect', net: NetworkRecord, containerId: string): void {
    this.ctx.events.publish({ Type: 'network', Action: action, Actor: { ID: net.id, Attributes: { container: containerId, name: net.name, type: net.driver } } });
  }

  async detach(containerId: string): Promise<void> {
    await this.load();
    const removed = await this.store.withLock(async (tx) => {
      const endpoints = tx.state.endpoints.filter((e) => e.containerId === containerId);
      const record = tx.state.containers.find((c) => c.id === containerId);
      if (!record && !endpoints.length) return [];
      tx.state.endpoints = tx.state.endpoints.filter((e) => e.containerId !== containerId);
      tx.state.containers = tx.state.containers.filter((c) => c.id !== containerId);
      for (const ep of endpoints) this.rememberAddress(`${containerId}/${ep.networkId}`, ep.ip);
      if (!this.spares.recycle(tx, record, endpoints)) this.plumbing.drain(endpoints, record?.netns);
      if (endpoints.length || record?.mode === 'bridge') await tx.save();
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
    await this.plumbing.drained((e) => e.ip === req.ipv4Address || e.containerId === this.findContainer(containerRef)?.id);
    const { record, ep } = await this.store.withLock(async (tx) => {
      const record = this.findContainer(containerRef);
      if (!record) throw notFound(`No such container: ${containerRef} (only running containers can be connected)`);
      if (record.mode !== 'bridge' || net.driver !== 'bridge') throw invalid(`container ${record.name} uses network mode ${JSON.stringify(record.mode)} and cannot be connected to ${net.name}`);
      const mine = tx.state.endpoints.filter((e) => e.containerId === record.id);
      if (mine.some((e) => e.networkId === net.id)) throw forbidden(`endpoint with name ${record.name} already exists in network ${net.name}`);
      await this.realizer.realize(tx, net);
      const used = new Set(mine.map((e) => e.containerInterface));
      let index = 0;
      while (used.has(`eth${index}`)) index++;
      const ep = allocateEndpoint(net, this.addressHolders(net.id), record, { network: net.id, ...req }, index, this.options);
      tx.state.endpoints.push(ep);
      return { record, ep };
    });
    try {
      await this.plumbing.createLink(netnsOf(record), net, ep);
    } catch (err) {
      await this.store.withLock(async (tx) => {
        tx.state.endpoints = tx.state.endpoints.filter((e) => e.id !== ep.id);
      });
      throw err;
    }
    await this.store.withLock((tx) => tx.save());
    this.publishEndpointEvent('connect', net, record.id);
  }

  async disconnect(networkRef: string, containerRef: string): Promise<void> {
    const net = await this.mustFindNetwork(networkRef);
    const ep = await this.store.withLock(async (tx) => {
      const record = this.findContainer(containerRef);
      const ep = record && tx.state.endpoints.find((e) => e.containerId === record.id && e.networkId === net.id);
      if (!ep) throw notFound(`container ${containerRef} is not connected to network ${net.name}`);
      tx.state.endpoints = tx.state.endpoints.filter((e) => e.id !== ep.id);
      await tx.save();
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
    const gone = this.state.containers.filter((c) => !alive.has(c.id) || (c.pid !== undefined && alive.get(c.id) !== c.pid)).map((c) => c.id);
    const orphans = this.state.endpoints.filter((e) => !this.state.containers.some((c) => c.id === e.containerId));
    for (const id of gone) await this.detach(id);
    await Promise.all([this.plumbing.settled(), ...orphans.map((ep) => this.plumbing.removeLink(ep))]);
    await this.store.withLock(async (tx) => {
      tx.state.endpoints = tx.state.endpoints.filter((e) => !orphans.includes(e));
      for (const net of tx.state.networks) {
        if (net.driver !== 'bridge') continue;
        try {
          // what a crashed engine left behind for networks nobody uses goes away; they come back with an endpoint
          if (this.endpointsOf(net.id).length) await this.realizer.realize(tx, net); else await this.realizer.unrealize(tx, net);
        } catch (err) { this.log.warn(`restoring the network after an engine restart: ${(err as Error).message}`, { network: net.name }); }
      }
      for (const record of tx.state.containers) await this.ports.reopen(record);
      await tx.save();
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
      await Promise.all(idle.map((n) => this.realizer.unrealize(tx, n).catch(logFailure(this.log, 'taking down an idle network', { network: n.name }))));
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

export function endpointSettings(net: NetworkRecord, ep: EndpointRecord): EndpointSettings {
  return {
    NetworkID: net.id, EndpointID: ep.id, Gateway: net.gateway ?? '',
    IPAddress: ep.ip, IPPrefixLen: parseCidr(net.subnet!)!.prefix, MacAddress: ep.mac,
    Aliases: ep.aliases.length ? ep.aliases : null, DNSNames: ep.dnsNames.length ? ep.dnsNames : null,
  };
}

