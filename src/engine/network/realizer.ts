// What a bridge network is on the host: its bridge with the gateway address, its firewall chains
// (firewall.ts) and its embedded DNS server on the gateway (dns-server.ts). A network is "realized" while
// those are up in this process.
//
// A network's bridge, chains and DNS come up with its first endpoint and stay while the engine runs,
// until the network is removed, so a container joining or leaving only adds or deletes its veth pair.
// close() takes down those of networks without endpoints (an engine that stops leaves nothing behind
// for them) and restore() brings back those with endpoints. Both operations take the store's `tx`: the set
// of realized networks changes with the endpoints, and realizing may re-pick a network's subnet.
import { internal } from '../errors.js';
import { ensureBridge, removeBridge } from './bridge.js';
import { formatCidr, formatIPv4, overlaps, parseCidr } from './cidr.js';
import { networkDnsHandler } from './dns-handler.js';
import { RoundRobin } from './dns-names.js';
import { EmbeddedDnsServer } from './dns-server.js';
import { applyFirewall, removeFirewall, replacePortDnat, type FirewallSpec } from './firewall.js';
import { enableIpForwarding, enableIpv6Forwarding, hostRoutes } from './host.js';
import { prefix6Of } from './addressing6.js';
import { allocateSubnet, firstHost } from './ipam.js';
import { planPortDnat } from './port-dnat.js';
import type { NetworkOptions } from './options.js';
import type { NetworkRecord, NetworkStateView, NetworkTx } from './state.js';

export class NetworkRealizer {
  private readonly realized = new Set<string>();
  private readonly dnsServers = new Map<string, EmbeddedDnsServer>();
  private readonly roundRobin = new RoundRobin();

  /** `state` and `hostNameservers` are read by the DNS servers on every query. */
  constructor(
    private readonly options: NetworkOptions,
    private readonly state: () => NetworkStateView,
    private readonly hostNameservers: () => string[],
  ) {}

  isRealized(networkId: string): boolean {
    return this.realized.has(networkId);
  }

  async realize(tx: NetworkTx, net: NetworkRecord): Promise<void> {
    if (net.driver !== 'bridge' || this.realized.has(net.id)) return;
    await this.checkSubnetIsFree(tx, net);
    const prefix = parseCidr(net.subnet!)!.prefix;
    try {
      // the chains name the bridge but do not need it; the DNS server needs the gateway address on it
      const gateway6 = net.enableIPv6 ? `${net.gateway6}/${prefix6Of(net)}` : undefined;
      const bridgeAndDns = ensureBridge(net.bridge!, `${net.gateway}/${prefix}`, gateway6).then(() =>
        net.builtin ? undefined : this.startDns(net),
      );
      const forwarding = net.internal
        ? undefined
        : Promise.all([enableIpForwarding(), net.enableIPv6 ? enableIpv6Forwarding() : undefined]);
      const [dnsRedirect] = await Promise.all([bridgeAndDns, forwarding]);
      await applyFirewall({ ...this.firewallSpec(net), dnsRedirect });
    } catch (err) {
      await this.unrealize(tx, net);
      throw err;
    }
    this.realized.add(net.id);
  }

  async unrealize(_tx: NetworkTx, net: NetworkRecord): Promise<void> {
    await this.dnsServers.get(net.id)?.close();
    this.dnsServers.delete(net.id);
    if (net.driver !== 'bridge') return;
    await Promise.all([removeFirewall(this.firewallSpec(net)), removeBridge(net.bridge!)]);
    this.realized.delete(net.id);
  }

  /** Rewrites the DNAT rules of the network's published ports from the state (a network not realized has
   *  no chain: its rules come with `realize`, which the restore after a restart follows with this). */
  async syncPorts(tx: NetworkTx, networkId: string): Promise<void> {
    const net = tx.state.networks.find((n) => n.id === networkId);
    if (!net || net.driver !== 'bridge' || !this.realized.has(net.id)) return;
    await replacePortDnat(this.firewallSpec(net), 4, planPortDnat(tx.state, net.id, 4));
    if (net.enableIPv6) await replacePortDnat(this.firewallSpec(net), 6, planPortDnat(tx.state, net.id, 6));
  }

  /** Engine shutdown: this process's DNS servers stop; bridges and chains left up stay for `restore`. */
  async stop(): Promise<void> {
    for (const server of this.dnsServers.values()) await server.close();
    this.dnsServers.clear();
    this.realized.clear();
  }

  private firewallSpec(net: NetworkRecord): FirewallSpec {
    return {
      chainPrefix: this.options.chainPrefix,
      networkId: net.id,
      bridge: net.bridge!,
      subnet: net.subnet!,
      gateway: net.gateway!,
      internal: net.internal,
      allBridges: `${this.options.interfacePrefix}b+`,
      masquerade: net.options['com.docker.network.bridge.enable_ip_masquerade'] !== 'false',
      ...(net.enableIPv6 ? { ipv6: { subnet: net.ipam6!.subnet, gateway: net.gateway6! } } : {}),
    };
  }

  /** The embedded DNS on the gateway. When the DNS port is taken on every address (a DNS server on the
   *  host bound to 0.0.0.0), it listens on a free port and queries to the DNS port are redirected there. */
  private async startDns(net: NetworkRecord): Promise<{ from: number; to: number } | undefined> {
    await this.dnsServers.get(net.id)?.close();
    const server = new EmbeddedDnsServer(
      networkDnsHandler(net.id, this.state, this.roundRobin, this.hostNameservers),
      this.options.dnsUpstreamPort,
    );
    this.dnsServers.set(net.id, server);
    const fail = (err: NodeJS.ErrnoException) =>
      internal(`the embedded DNS of network ${net.name} cannot listen on ${net.gateway}: ${err.code ?? err.message}`);
    try {
      await server.listen(net.gateway!, this.options.dnsPort);
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw fail(err as NodeJS.ErrnoException);
    }
    const port = await server.listen(net.gateway!, 0).catch((err: NodeJS.ErrnoException) => {
      throw fail(err);
    });
    return { from: this.options.dnsPort, to: port };
  }

  /** Another bridge (say, a second engine's) may have taken the subnet since it was picked. */
  private async checkSubnetIsFree(tx: NetworkTx, net: NetworkRecord): Promise<void> {
    const subnet = parseCidr(net.subnet!)!;
    const clash = (await hostRoutes()).find((r) => r.dev !== net.bridge && overlaps(r.subnet, subnet));
    if (!clash) return;
    if (!net.autoSubnet || tx.state.endpoints.some((e) => e.networkId === net.id)) {
      throw internal(`network ${net.name}: its subnet ${net.subnet} overlaps the host route ${formatCidr(clash.subnet)} on ${clash.dev}`);
    }
    const others = tx.state.networks.filter((n) => n.id !== net.id && n.subnet).map((n) => parseCidr(n.subnet!)!);
    const fresh = allocateSubnet(this.options.pools, [...(await hostRoutes()).map((r) => r.subnet), ...others]);
    if (!fresh) throw internal(`network ${net.name}: no free subnet left in the address pools`);
    net.subnet = formatCidr(fresh);
    net.gateway = formatIPv4(firstHost(fresh));
  }
}
