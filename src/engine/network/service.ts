// The bridge network service: networks with their bridges, firewall chains and embedded DNS; container
// endpoints (veth pairs); published ports. State lives in one file so an engine restart can restore it.
import { readFile } from 'node:fs/promises';
import { conflict, forbidden, internal, invalid, notFound } from '../errors.js';
import { logFailure, type Logger } from '../log.js';
import type { EndpointRequest, EndpointSettings, EngineContext, NetworkAttachment, NetworkService } from '../contracts.js';
import { ensureBridge, removeBridge } from './bridge.js';
import { formatCidr, formatIPv4, overlaps, parseCidr, type Subnet } from './cidr.js';
import { allocateEndpoint, planAddressing, randomId } from './addressing.js';
import { buildHosts, parseExtraHosts, resolvConfWithEmbeddedDns, resolvConfWithoutEmbeddedDns } from './container-files.js';
import { networkDnsHandler } from './dns-handler.js';
import { RoundRobin } from './dns-names.js';
import { EmbeddedDnsServer } from './dns-server.js';
import { applyFirewall, removeFirewall, type FirewallSpec } from './firewall.js';
import { enableIpForwarding, hostRoutes, readHostResolvConf, type HostResolvConf } from './host.js';
import { allocateSubnet, firstHost } from './ipam.js';
import { bridgeName, type NetworkOptions } from './options.js';
import { planPortRequests, reportPorts, type PortRequest } from './port-bindings.js';
import { PortAllocatedError, openProxyInRange, reopenProxy, type OpenProxy } from './port-proxy.js';
import { NetworkStore, type ContainerRecord, type EndpointRecord, type NetworkRecord, type NetworkStateView, type NetworkTx, type SpareRecord } from './state.js';
import { bringUpLoopback, createEndpointLink, netnsIsQuiet, removeEndpointLink, removeNetns } from './veth.js';
import type { Netns } from './host.js';

export type AttachOptions = Parameters<NetworkService['attach']>[0];

export interface CreateNetworkRequest {
  Name?: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  Labels?: Record<string, string> | null;
  Options?: Record<string, string> | null;
  IPAM?: { Driver?: string; Options?: Record<string, string> | null; Config?: { Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }[] | null } | null;
}

const DEFAULT_NETWORK = 'bridge';
// Docker Engine takes any network name (spaces included: docker-py's tests make such networks); one with a
// slash could not be named in an API path, and control characters have no place in one
const NAME_PATTERN = /^[^/\x00-\x1f\x7f]+$/;

export class BridgeNetworkService implements NetworkService {
  /** networks, endpoints, containers and spares; changed only under its lock (`withLock`) */
  private readonly store: NetworkStore;
  private loading?: Promise<void>;
  private readonly dnsServers = new Map<string, EmbeddedDnsServer>();
  private readonly proxies = new Map<string, OpenProxy[]>();
  private readonly realized = new Set<string>();
  /** Endpoints detached whose veth pair the kernel is still deleting (~20 ms each), by endpoint id. Their
   *  addresses stay taken until then; whatever needs the pair gone waits for it (see `drained`). */
  private readonly draining = new Map<string, { ep: EndpointRecord; done: Promise<void> }>();
  /** namespaces without endpoints being deleted */
  private readonly netnsDeletes = new Set<Promise<void>>();
  /** the address a container last had on a network ("<container id>/<network id>"), which it gets again
   *  when it restarts and the address is still free (bounded: oldest entries go first) */
  private readonly previousAddress = new Map<string, string>();
  /** spares being made, by network id */
  private readonly spareBuilds = new Map<string, Promise<void>>();
  private closing = false;
  private readonly roundRobin = new RoundRobin();
  private hostResolv?: HostResolvConf;

  private readonly log: Logger;

  constructor(private readonly ctx: EngineContext, readonly options: NetworkOptions) {
    this.log = ctx.log.child({ component: 'network' });
    this.store = new NetworkStore(ctx.paths.networks);
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
    return { id: randomId(), name, created: new Date().toISOString(), driver, builtin, internal: false, attachable: false, labels: {}, options: {}, ipamOptions: null };
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
    const held = [...[...this.draining.values()].map((d) => d.ep), ...(this.state.spares ?? []).map((s) => s.endpoint)];
    return [...this.endpointsOf(networkId), ...held.filter((e) => e.networkId === networkId)];
  }

  private rememberAddress(key: string, ip: string): void {
    this.previousAddress.delete(key);
    this.previousAddress.set(key, ip);
    if (this.previousAddress.size > 4096) this.previousAddress.delete(this.previousAddress.keys().next().value!);
  }

  // ---- spare namespaces ----------------------------------------------------------------------------
  // For each bridge network a container joined, one warm network namespace: its veth pair on the bridge,
  // address and default route configured. The next container that joins that network alone, without a
  // fixed address or MAC, takes it and starts without running any host command. When that container ends,
  // its namespace becomes the spare again if nothing can have changed in it (recycle); otherwise a new
  // spare is made in the background. Spares are not endpoints: no inspect, no DNS name; their addresses
  // are held.

  private spareOf(networkId: string): SpareRecord | undefined {
    return this.state.spares?.find((s) => s.endpoint.networkId === networkId);
  }

  /** A ready spare of the network, no longer a spare. */
  private takeSpare(tx: NetworkTx, networkId: string): SpareRecord | undefined {
    const spare = this.spareOf(networkId);
    if (!spare || this.spareBuilds.has(networkId)) return undefined;
    tx.state.spares = tx.state.spares!.filter((s) => s !== spare);
    return spare;
  }

  private refillSpare(net: NetworkRecord): void {
    if (this.closing || this.spareBuilds.has(net.id) || this.spareOf(net.id)) return;
    const build = (async () => {
      const spare = await this.store.withLock(async (tx) => {
        if (this.closing || !this.realized.has(net.id) || !tx.state.networks.includes(net) || this.spareOf(net.id)) return undefined;
        const endpoint = allocateEndpoint(net, this.addressHolders(net.id), { id: '', name: '', hostname: '' }, { network: net.id, aliases: [] }, 0, this.options);
        const made: SpareRecord = { netns: this.netnsName('spare'), endpoint };
        (tx.state.spares ??= []).push(made);
        await tx.save();
        return made;
      });
      if (!spare) return;
      const ep = spare.endpoint;
      try {
        await createEndpointLink({
          netns: { name: spare.netns }, hostInterface: ep.hostInterface, containerInterface: ep.containerInterface, bridge: net.bridge!, mac: ep.mac,
          addressCidr: `${ep.ip}/${parseCidr(net.subnet!)!.prefix}`, defaultGateway: net.internal ? undefined : net.gateway, mtu: networkMtu(net),
        }, true);
      } catch (err) {
        this.log.debug(`a spare network namespace could not be prepared: ${(err as Error).message}`, { network: net.id });
        await this.store.withLock(async (tx) => { tx.state.spares = (tx.state.spares ?? []).filter((s) => s !== spare); await tx.save(); });
      }
    })().catch(logFailure(this.log, 'dropping a spare network namespace', { network: net.id })).finally(() => this.spareBuilds.delete(net.id));
    this.spareBuilds.set(net.id, build);
  }

  /** A container's namespace becomes its network's spare, instead of being deleted while a new one is
   *  made, when nothing can have changed in it: one interface (eth0), no capability to reconfigure it, no
   *  other container sharing it; before it is handed out, a check that no socket is left open or in
   *  TIME_WAIT. */
  private recycle(tx: NetworkTx, record: ContainerRecord | undefined, endpoints: EndpointRecord[]): boolean {
    const ep = endpoints[0];
    if (!record?.netns || !record.netnsReusable || endpoints.length !== 1 || ep!.containerInterface !== 'eth0' || this.closing) return false;
    const net = this.state.networks.find((n) => n.id === ep!.networkId);
    if (!net || !this.realized.has(net.id) || this.spareOf(net.id) || this.spareBuilds.has(net.id)) return false;
    if (this.state.containers.some((c) => typeof c.mode === 'object' && c.mode.container === record.id)) return false;
    const spare: SpareRecord = { netns: record.netns, endpoint: { ...ep!, containerId: '', aliases: [], dnsNames: [] } };
    (tx.state.spares ??= []).push(spare);
    // not reusable after all: deleted before anyone waiting for it goes on, so that its address is free again
    // for them (a restarted container keeps its address); the next start without a spare makes a new one
    const check = netnsIsQuiet(spare.netns).then(async (quiet) => {
      if (quiet) return;
      await this.store.withLock(async (tx) => { tx.state.spares = (tx.state.spares ?? []).filter((s) => s !== spare); await tx.save(); });
      await removeNetns(spare.netns, [spare.endpoint.hostInterface]);
    }).catch(logFailure(this.log, 'checking a namespace for reuse', { network: net.id })).finally(() => this.spareBuilds.delete(net.id));
    this.spareBuilds.set(net.id, check);
    return true;
  }

  /** Deletes the spares `which` selects (after those being made are done). Call without the mutex. */
  private async discardSpares(which: (s: SpareRecord) => boolean): Promise<void> {
    await Promise.all([...this.spareBuilds.values()]);
    const gone = await this.store.withLock(async (tx) => {
      const selected = (tx.state.spares ?? []).filter(which);
      if (!selected.length) return selected;
      tx.state.spares = (tx.state.spares ?? []).filter((s) => !selected.includes(s));
      await tx.save();
      return selected;
    });
    await Promise.all(gone.map((s) => removeNetns(s.netns, [s.endpoint.hostInterface])));
  }

  /** Deletes a container's veth pairs (and the namespace the service made for it) in the background. */
  private drain(endpoints: EndpointRecord[], netns?: string): void {
    const job = netns
      ? removeNetns(netns, endpoints.map((e) => e.hostInterface))
      : Promise.all(endpoints.map((e) => removeEndpointLink(e.hostInterface))).then(() => undefined);
    if (netns && !endpoints.length) {
      const done = job.then(() => { this.netnsDeletes.delete(done); });
      this.netnsDeletes.add(done);
    }
    for (const ep of endpoints) {
      const done = job.then(() => { this.draining.delete(ep.id); });
      this.draining.set(ep.id, { ep, done });
    }
  }

  /** Waits until the veth pairs of the detached endpoints matching `which` are gone. */
  private async drained(which: (ep: EndpointRecord) => boolean = () => true): Promise<void> {
    await Promise.all([...this.draining.values()].filter((d) => which(d.ep)).map((d) => d.done));
  }

  /** The namespace a container's endpoints live in. */
  private static netnsOf(record: Pick<ContainerRecord, 'pid' | 'netns'>): Netns {
    return record.netns ? { name: record.netns } : { pid: record.pid! };
  }

  /** A name for the namespace of one run of a container (a new one each run: the last may still be going). */
  private netnsName(containerId: string): string {
    return `${this.options.interfacePrefix}-${containerId.slice(0, 12)}-${randomId().slice(0, 6)}`;
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

  // ---- bridges, firewall and DNS of a network --------------------------------------------------------

  private firewallSpec(net: NetworkRecord): FirewallSpec {
    return {
      chainPrefix: this.options.chainPrefix, networkId: net.id, bridge: net.bridge!, subnet: net.subnet!, gateway: net.gateway!,
      internal: net.internal, allBridges: `${this.options.interfacePrefix}b+`,
      masquerade: net.options['com.docker.network.bridge.enable_ip_masquerade'] !== 'false',
    };
  }

  // A network's bridge, chains and DNS come up with its first endpoint and stay while the engine runs,
  // until the network is removed, so a container joining or leaving only adds or deletes its veth pair.
  // close() takes down those of networks without endpoints (an engine that stops leaves nothing behind
  // for them) and restore() brings back those with endpoints. Callers hold the store's lock: the set of realized
  // networks changes with the endpoints.
  private async realize(net: NetworkRecord): Promise<void> {
    if (net.driver !== 'bridge' || this.realized.has(net.id)) return;
    await this.checkSubnetIsFree(net);
    const prefix = parseCidr(net.subnet!)!.prefix;
    try {
      // the chains name the bridge but do not need it; the DNS server needs the gateway address on it
      const bridgeAndDns = ensureBridge(net.bridge!, `${net.gateway}/${prefix}`).then(() => (net.builtin ? undefined : this.startDns(net)));
      const [dnsRedirect] = await Promise.all([bridgeAndDns, net.internal ? undefined : enableIpForwarding()]);
      await applyFirewall({ ...this.firewallSpec(net), dnsRedirect });
    } catch (err) {
      await this.unrealize(net);
      throw err;
    }
    this.realized.add(net.id);
  }

  /** The embedded DNS on the gateway. When the DNS port is taken on every address (a DNS server on the
   *  host bound to 0.0.0.0), it listens on a free port and queries to the DNS port are redirected there. */
  private async startDns(net: NetworkRecord): Promise<{ from: number; to: number } | undefined> {
    await this.dnsServers.get(net.id)?.close();
    const server = new EmbeddedDnsServer(networkDnsHandler(net.id, () => this.state, this.roundRobin, () => this.hostResolv?.nameservers ?? []), this.options.dnsUpstreamPort);
    this.dnsServers.set(net.id, server);
    const fail = (err: NodeJS.ErrnoException) => internal(`the embedded DNS of network ${net.name} cannot listen on ${net.gateway}: ${err.code ?? err.message}`);
    try {
      await server.listen(net.gateway!, this.options.dnsPort);
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw fail(err as NodeJS.ErrnoException);
    }
    const port = await server.listen(net.gateway!, 0).catch((err: NodeJS.ErrnoException) => { throw fail(err); });
    return { from: this.options.dnsPort, to: port };
  }

  /** Another bridge (say, a second engine's) may have taken the subnet since it was picked. */
  private async checkSubnetIsFree(net: NetworkRecord): Promise<void> {
    const subnet = parseCidr(net.subnet!)!;
    const clash = (await hostRoutes()).find((r) => r.dev !== net.bridge && overlaps(r.subnet, subnet));
    if (!clash) return;
    if (!net.autoSubnet || this.endpointsOf(net.id).length) {
      throw internal(`network ${net.name}: its subnet ${net.subnet} overlaps the host route ${formatCidr(clash.subnet)} on ${clash.dev}`);
    }
    const others = this.state.networks.filter((n) => n.id !== net.id && n.subnet).map((n) => parseCidr(n.subnet!)!);
    const fresh = allocateSubnet(this.options.pools, [...(await hostRoutes()).map((r) => r.subnet), ...others]);
    if (!fresh) throw internal(`network ${net.name}: no free subnet left in the address pools`);
    net.subnet = formatCidr(fresh);
    net.gateway = formatIPv4(firstHost(fresh));
  }

  private async unrealize(net: NetworkRecord): Promise<void> {
    await this.dnsServers.get(net.id)?.close();
    this.dnsServers.delete(net.id);
    if (net.driver !== 'bridge') return;
    await Promise.all([removeFirewall(this.firewallSpec(net)), removeBridge(net.bridge!)]);
    this.realized.delete(net.id);
  }

  // ---- networks ------------------------------------------------------------------------------------

  async createNetwork(req: CreateNetworkRequest): Promise<NetworkRecord> {
    await this.load();
    await this.hostResolvConf();
    const name = req.Name ?? '';
    if (!NAME_PATTERN.test(name)) throw invalid(`invalid network name ${JSON.stringify(name)}: a name must not be empty nor hold a slash or control characters`);
    // an IPv6 subnet would otherwise be dropped silently and inspect would claim an IPv4-only network
    if (req.EnableIPv6 || (req.IPAM?.Config ?? []).some((c) => c.Subnet?.includes(':'))) {
      throw invalid('IPv6 networks are not supported by the tscompose engine (EnableIPv6 and IPv6 subnets)');
    }
    const driver = req.Driver || 'bridge';
    if (driver !== 'bridge') throw invalid(`network driver "${driver}" is not supported by the bundled engine: only "bridge"`);
    const net = await this.store.withLock(async (tx) => {
      if (tx.state.networks.some((n) => n.name === name)) throw conflict(`network with name ${name} already exists`);
      const record = this.newRecord(name, 'bridge', false);
      record.internal = Boolean(req.Internal);
      record.attachable = Boolean(req.Attachable);
      record.labels = req.Labels ?? {};
      record.options = req.Options ?? {};
      record.ipamOptions = req.IPAM?.Options ?? null;
      record.bridge = record.options['com.docker.network.bridge.name'] || bridgeName(this.options, record.id);
      const config = (req.IPAM?.Config ?? []).filter((c) => !c.Subnet?.includes(':'))[0];
      Object.assign(record, planAddressing(name, config, tx.state.networks, config?.Subnet ? [] : await this.takenSubnets(), this.options.pools));
      tx.state.networks.push(record);
      await tx.save();
      return record;
    });
    this.ctx.events.publish({ Type: 'network', Action: 'create', Actor: { ID: net.id, Attributes: { name: net.name, type: net.driver } } });
    return net;
  }

  async removeNetwork(ref: string): Promise<void> {
    const net = await this.mustFindNetwork(ref);
    if (!net.builtin) await this.discardSpares((s) => s.endpoint.networkId === net.id);
    await this.store.withLock(async (tx) => {
      if (net.builtin) throw forbidden(`${net.name} is a pre-defined network and cannot be removed`);
      if (this.endpointsOf(net.id).length) throw forbidden(`error while removing network: network ${net.name} id ${net.id} has active endpoints`);
      await this.drained((e) => e.networkId === net.id);
      await this.unrealize(net);
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
    await this.drained((e) => e.containerId === opts.containerId);
    const base = {
      id: opts.containerId, name: opts.containerName.replace(/^\//, ''), hostname: opts.hostname, pid: opts.pid, dns: opts.dns, ports: {},
      netns: opts.mode === 'bridge' && !opts.pid ? this.netnsName(opts.containerId) : undefined,
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
    if (fixed.length) await this.discardSpares((s) => fixed.includes(s.endpoint.ip));
    await this.drained((e) => requested.some((r) => r.ipv4Address === e.ip));
    const spareFits = requested.length === 1 && !requested[0]!.ipv4Address && !requested[0]!.macAddress && !opts.pid;
    // a spare being made is nearly there: waiting for it is quicker than making another namespace
    if (spareFits) await this.spareBuilds.get((await this.findNetwork(requested[0]!.network))?.id ?? '');
    let spare: SpareRecord | undefined;
    const reserved = await this.store.withLock(async (tx) => {
      const endpoints: { net: NetworkRecord; ep: EndpointRecord }[] = [];
      try {
        for (const [i, req] of requested.entries()) {
          const net = await this.mustFindNetwork(req.network);
          if (net.driver !== 'bridge') throw invalid(`container cannot be connected to network "${net.name}" of driver ${net.driver}: use network mode ${net.name}`);
          if (endpoints.some((e) => e.net.id === net.id)) throw invalid(`container ${base.name} cannot be connected twice to network ${net.name}`);
          await this.realize(net);
          // a restarting container keeps its address when it can, even if a spare has another one
          const previous = req.ipv4Address ? undefined : this.previousAddress.get(`${base.id}/${net.id}`);
          const previousFree = previous !== undefined && !this.addressHolders(net.id).some((e) => e.ip === previous);
          spare = spareFits && !previousFree ? this.takeSpare(tx, net.id) : undefined;
          const ep = spare
            ? { ...allocateEndpoint(net, this.addressHolders(net.id), base, { ...req, ipv4Address: spare.endpoint.ip }, i, this.options), mac: spare.endpoint.mac, hostInterface: spare.endpoint.hostInterface }
            : allocateEndpoint(net, this.addressHolders(net.id), base, previousFree ? { ...req, ipv4Address: previous } : req, i, this.options);
          tx.state.endpoints.push(ep);
          endpoints.push({ net, ep });
        }
      } catch (err) {
        tx.state.endpoints = tx.state.endpoints.filter((e) => !endpoints.some((r) => r.ep.id === e.id));
        if (spare) tx.state.spares!.push(spare);
        throw err;
      }
      return endpoints;
    });
    if (spare) base.netns = spare.netns;
    const gatewayEndpoint = reserved.find((r) => !r.net.internal);
    const created: EndpointRecord[] = [];
    const opened: { key: string; proxy: OpenProxy }[] = [];
    let hosts: string;
    const netns = BridgeNetworkService.netnsOf(base);
    let netnsMade = false;
    try {
      hosts = buildHosts({ hostname: opts.hostname, addresses: reserved.map((r) => r.ep.ip), extraHosts: parseExtraHosts(opts.extraHosts, gatewayEndpoint?.net.gateway) });
      for (const { net, ep } of reserved) {
        if (spare) { netnsMade = true; created.push(ep); continue; }
        await createEndpointLink({
          netns, hostInterface: ep.hostInterface, containerInterface: ep.containerInterface, bridge: net.bridge!, mac: ep.mac,
          addressCidr: `${ep.ip}/${parseCidr(net.subnet!)!.prefix}`, defaultGateway: ep === gatewayEndpoint?.ep ? net.gateway : undefined,
          mtu: networkMtu(net),
        }, 'name' in netns && !netnsMade);
        netnsMade = true;
        created.push(ep);
      }
      if (gatewayEndpoint) {
        for (const req of portRequests) opened.push({ key: req.key, proxy: await this.publish(req, gatewayEndpoint.ep, base.name) });
      }
    } catch (err) {
      await Promise.all(opened.map((o) => o.proxy.close()));
      if ('name' in netns && netnsMade) await removeNetns(netns.name, created.map((ep) => ep.hostInterface));
      else for (const ep of created) await removeEndpointLink(ep.hostInterface);
      await this.store.withLock(async (tx) => {
        tx.state.endpoints = tx.state.endpoints.filter((e) => !reserved.some((r) => r.ep.id === e.id));
      });
      throw err;
    }
    const userNetwork = reserved.find((r) => !r.net.builtin);
    const record: ContainerRecord = {
      ...base, mode: 'bridge', hosts,
      ports: reportPorts([...opts.exposedPorts, ...Object.keys(opts.portBindings)], opened.map((o) => ({ key: o.key, binding: { HostIp: o.proxy.hostIp, HostPort: String(o.proxy.hostPort) } }))),
      resolvConf: userNetwork
        ? resolvConfWithEmbeddedDns(userNetwork.net.gateway!, opts.dnsSearch, opts.dnsOptions)
        : resolvConfWithoutEmbeddedDns(host, opts.dns, opts.dnsSearch, opts.dnsOptions),
      portTargetIp: gatewayEndpoint?.ep.ip,
    };
    await this.store.withLock(async (tx) => { tx.state.containers.push(record); await tx.save(); });
    this.proxies.set(record.id, opened.map((o) => o.proxy));
    for (const { net } of reserved) this.publishEndpointEvent('connect', net, record.id);
    // a container that took a spare and cannot change it hands it back when it ends (see `recycle`)
    if (spareFits && record.netns && !(spare && record.netnsReusable)) this.refillSpare(reserved[0]!.net);
    return { ...this.attachment(record), netnsPath: record.netns && `/run/netns/${record.netns}` };
  }

  private async publish(req: PortRequest, target: EndpointRecord, containerName: string): Promise<OpenProxy> {
    try {
      return await openProxyInRange({ protocol: req.protocol, hostIp: req.hostIp, containerIp: target.ip, containerPort: req.containerPort }, req.hostPortFrom, req.hostPortTo);
    } catch (err) {
      if (err instanceof PortAllocatedError) {
        throw internal(`driver failed programming external connectivity on endpoint ${containerName} (${target.id}): ${err.message}`);
      }
      throw internal(`publishing port ${req.key} of ${containerName} failed: ${(err as Error).message}`);
    }
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
      if (!this.recycle(tx, record, endpoints)) this.drain(endpoints, record?.netns);
      if (endpoints.length || record?.mode === 'bridge') await tx.save();
      return endpoints;
    });
    await Promise.all((this.proxies.get(containerId) ?? []).map((p) => p.close()));
    this.proxies.delete(containerId);
    for (const ep of removed) {
      const net = this.state.networks.find((n) => n.id === ep.networkId);
      if (net) this.publishEndpointEvent('disconnect', net, containerId);
    }
  }

  /** POST /networks/{id}/connect for a running, attached container: one more interface. */
  async connect(networkRef: string, containerRef: string, req: Omit<EndpointRequest, 'network'>): Promise<void> {
    const net = await this.mustFindNetwork(networkRef);
    if (req.ipv4Address) await this.discardSpares((s) => s.endpoint.ip === req.ipv4Address);
    await this.drained((e) => e.ip === req.ipv4Address || e.containerId === this.findContainer(containerRef)?.id);
    const { record, ep } = await this.store.withLock(async (tx) => {
      const record = this.findContainer(containerRef);
      if (!record) throw notFound(`No such container: ${containerRef} (only running containers can be connected)`);
      if (record.mode !== 'bridge' || net.driver !== 'bridge') throw invalid(`container ${record.name} uses network mode ${JSON.stringify(record.mode)} and cannot be connected to ${net.name}`);
      const mine = tx.state.endpoints.filter((e) => e.containerId === record.id);
      if (mine.some((e) => e.networkId === net.id)) throw forbidden(`endpoint with name ${record.name} already exists in network ${net.name}`);
      await this.realize(net);
      const used = new Set(mine.map((e) => e.containerInterface));
      let index = 0;
      while (used.has(`eth${index}`)) index++;
      const ep = allocateEndpoint(net, this.addressHolders(net.id), record, { network: net.id, ...req }, index, this.options);
      tx.state.endpoints.push(ep);
      return { record, ep };
    });
    try {
      await createEndpointLink({ netns: BridgeNetworkService.netnsOf(record), hostInterface: ep.hostInterface, containerInterface: ep.containerInterface, bridge: net.bridge!, mac: ep.mac, addressCidr: `${ep.ip}/${parseCidr(net.subnet!)!.prefix}`, mtu: networkMtu(net) });
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
    await removeEndpointLink(ep.hostInterface);
    this.publishEndpointEvent('disconnect', net, ep.containerId);
  }

  // ---- lifecycle -----------------------------------------------------------------------------------

  async restore(running: { containerId: string; pid: number }[]): Promise<void> {
    await this.load();
    await this.hostResolvConf();
    this.closing = false;
    // spares of an engine that stopped without discarding them (it died)
    const stale = await this.store.withLock(async (tx) => {
      const left = tx.state.spares ?? [];
      tx.state.spares = [];
      return left;
    });
    await Promise.all(stale.map((s) => removeNetns(s.netns, [s.endpoint.hostInterface])));
    const alive = new Map(running.map((r) => [r.containerId, r.pid]));
    const gone = this.state.containers.filter((c) => !alive.has(c.id) || (c.pid !== undefined && alive.get(c.id) !== c.pid)).map((c) => c.id);
    const orphans = this.state.endpoints.filter((e) => !this.state.containers.some((c) => c.id === e.containerId));
    for (const id of gone) await this.detach(id);
    await Promise.all([this.drained(), ...this.netnsDeletes, ...orphans.map((ep) => removeEndpointLink(ep.hostInterface))]);
    await this.store.withLock(async (tx) => {
      tx.state.endpoints = tx.state.endpoints.filter((e) => !orphans.includes(e));
      for (const net of tx.state.networks) {
        if (net.driver !== 'bridge') continue;
        try {
          // what a crashed engine left behind for networks nobody uses goes away; they come back with an endpoint
          if (this.endpointsOf(net.id).length) await this.realize(net); else await this.unrealize(net);
        } catch (err) { this.log.warn(`restoring the network after an engine restart: ${(err as Error).message}`, { network: net.name }); }
      }
      for (const record of tx.state.containers) {
        if (this.proxies.has(record.id) || !record.portTargetIp) continue;
        this.proxies.set(record.id, await reopenProxies(record, this.log));
      }
      await tx.save();
    });
  }

  /** Engine shutdown: stops the listeners of this process (DNS, port proxies) and takes down the networks
   *  it brought up that have no endpoints; running containers' endpoints and networks stay for `restore`. */
  async close(): Promise<void> {
    this.closing = true;
    await this.discardSpares(() => true);
    await Promise.all([this.drained(), ...this.netnsDeletes]);
    for (const proxies of this.proxies.values()) await Promise.all(proxies.map((p) => p.close()));
    this.proxies.clear();
    await this.store.withLock(async (tx) => {
      const idle = tx.state.networks.filter((n) => this.realized.has(n.id) && !this.endpointsOf(n.id).length);
      await Promise.all(idle.map((n) => this.unrealize(n).catch(logFailure(this.log, 'taking down an idle network', { network: n.name }))));
    });
    for (const server of this.dnsServers.values()) await server.close();
    this.dnsServers.clear();
    this.realized.clear();
  }

  /** Removes everything this service put on the host: endpoints, bridges, chains (tests, uninstall). */
  async teardown(): Promise<void> {
    await this.load();
    for (const c of [...this.state.containers]) await this.detach(c.id);
    await this.close();
    for (const net of this.state.networks) if (net.driver === 'bridge') await this.unrealize(net);
  }
}

async function reopenProxies(record: ContainerRecord, log: Logger): Promise<OpenProxy[]> {
  const opened: OpenProxy[] = [];
  for (const [key, bindings] of Object.entries(record.ports)) {
    const [port, protocol] = key.split('/');
    for (const b of bindings ?? []) {
      try {
        opened.push(await reopenProxy({ protocol: protocol as 'tcp' | 'udp', hostIp: b.HostIp, hostPort: Number(b.HostPort), containerIp: record.portTargetIp!, containerPort: Number(port) }));
      } catch (err) {
        log.warn(`restoring published port ${b.HostIp}:${b.HostPort}: ${(err as Error).message}`, { container: record.id });
      }
    }
  }
  return opened;
}

/** `com.docker.network.driver.mtu`, when set to a sane value. */
function networkMtu(net: NetworkRecord): number | undefined {
  const mtu = Number(net.options['com.docker.network.driver.mtu']);
  return Number.isInteger(mtu) && mtu >= 68 && mtu <= 65535 ? mtu : undefined;
}

export function endpointSettings(net: NetworkRecord, ep: EndpointRecord): EndpointSettings {
  return {
    NetworkID: net.id, EndpointID: ep.id, Gateway: net.gateway ?? '',
    IPAddress: ep.ip, IPPrefixLen: parseCidr(net.subnet!)!.prefix, MacAddress: ep.mac,
    Aliases: ep.aliases.length ? ep.aliases : null, DNSNames: ep.dnsNames.length ? ep.dnsNames : null,
  };
}

