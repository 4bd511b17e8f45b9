// iptables rules of one network, in chains of its own so they can be replaced and removed as a unit:
// forwarding for the bridge (the host's FORWARD policy may be DROP), isolation from the service's other
// bridges, outbound NAT, published ports (DNAT), and for internal networks no way out at all. A network with
// IPv6 enabled has the same chains in ip6tables, for its IPv6 subnet.
import { run, runWithInput } from './host.js';

export type IpFamily = 4 | 6;

export interface FirewallSpec {
  chainPrefix: string;
  networkId: string;
  bridge: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  /** iptables interface pattern matching every bridge of this service, e.g. "tscb+" */
  allBridges: string;
  /** outbound NAT (com.docker.network.bridge.enable_ip_masquerade) */
  masquerade: boolean;
  /** DNS queries to gateway:from go to gateway:to, where the embedded DNS really listens */
  dnsRedirect?: { from: number; to: number };
  /** a network with IPv6 enabled: its IPv6 subnet and gateway, for the ip6tables chains */
  ipv6?: { subnet: string; gateway: string };
}

interface ChainPlan {
  table: 'filter' | 'nat';
  /** where the chain is jumped to from: a built-in chain, with the matches of the jump */
  hooks: { chain: string; match?: string[] }[];
  chain: string;
  rules: string[][];
}

/** Every kind of chain a network has: F forward, I input, N outbound NAT, D DNS redirect, P published ports. */
const CHAIN_KINDS = ['F', 'I', 'N', 'D', 'P'] as const;

const tools = (family: IpFamily) =>
  family === 4 ? { save: 'iptables-save', restore: 'iptables-restore' } : { save: 'ip6tables-save', restore: 'ip6tables-restore' };
const LOOPBACK = { 4: '127.0.0.0/8', 6: '::1/128' } as const;

/** The nat chain holding a network's published ports (DNAT to its containers), filled by `replacePortDnat`. */
export const portChainName = (chainPrefix: string, networkId: string): string => `${chainPrefix}-P-${networkId.slice(0, 12)}`;

function chainPlans(s: FirewallSpec, family: IpFamily): ChainPlan[] {
  const id = s.networkId.slice(0, 12);
  const { subnet, gateway } = family === 4 ? s : s.ipv6!;
  const forward: ChainPlan = { table: 'filter', hooks: [{ chain: 'FORWARD' }], chain: `${s.chainPrefix}-F-${id}`, rules: [] };
  const input: ChainPlan = { table: 'filter', hooks: [{ chain: 'INPUT' }], chain: `${s.chainPrefix}-I-${id}`, rules: [] };
  const nat: ChainPlan = { table: 'nat', hooks: [{ chain: 'POSTROUTING' }], chain: `${s.chainPrefix}-N-${id}`, rules: [] };
  const dns: ChainPlan = { table: 'nat', hooks: [{ chain: 'PREROUTING' }], chain: `${s.chainPrefix}-D-${id}`, rules: [] };
  // Published ports, as Docker does: connections to a local address (not loopback, which the userland proxy
  // serves) are DNATed to the container, so it sees the real client address
  const ports: ChainPlan = {
    table: 'nat',
    hooks: [
      { chain: 'PREROUTING', match: ['-m', 'addrtype', '--dst-type', 'LOCAL'] },
      { chain: 'OUTPUT', match: ['!', '-d', LOOPBACK[family], '-m', 'addrtype', '--dst-type', 'LOCAL'] },
    ],
    chain: portChainName(s.chainPrefix, s.networkId),
    rules: [],
  };
  const br = s.bridge;
  // the embedded DNS listens on the IPv4 gateway only
  const redirect = family === 4 ? s.dnsRedirect : undefined;
  if (redirect) {
    for (const proto of ['udp', 'tcp']) {
      dns.rules.push([
        ...['-i', br, '-d', gateway, '-p', proto, '--dport', String(redirect.from)],
        ...['-j', 'DNAT', '--to-destination', `${gateway}:${redirect.to}`],
      ]);
    }
  }
  const withDns = (plans: ChainPlan[]) => (redirect ? [...plans, dns] : plans);
  if (s.internal) {
    forward.rules.push(['-i', br, '-o', br, '-j', 'ACCEPT'], ['-i', br, '-j', 'DROP'], ['-o', br, '-j', 'DROP']);
    input.rules.push(['-i', br, '!', '-d', gateway, '-j', 'DROP']);
    return withDns([forward, input]);
  }
  forward.rules.push(
    ['-i', br, '-o', br, '-j', 'ACCEPT'],
    ['-i', br, '-o', s.allBridges, '-j', 'DROP'],
    ['-i', br, '-j', 'ACCEPT'],
    ['-o', br, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
    // new connections to a published port (the host's FORWARD policy may be DROP): only our DNAT rules
    // send connections to this bridge's containers
    ['-o', br, '-m', 'conntrack', '--ctstate', 'DNAT', '-j', 'ACCEPT'],
  );
  if (!s.masquerade) return withDns([forward, ports]);
  nat.rules.push(['-s', subnet, '!', '-o', br, '-j', 'MASQUERADE']);
  return withDns([forward, nat, ports]);
}

/** Creates (or re-creates) the network's chains and hooks them in; safe to call again after a restart.
 *  One save and one restore per IP family: leftovers are removed in the same transaction. */
export async function applyFirewall(spec: FirewallSpec): Promise<void> {
  for (const family of familiesOf(spec)) {
    const byTable = await removalLines(spec, family);
    for (const plan of chainPlans(spec, family)) {
      const lines = byTable.get(plan.table) ?? [];
      lines.push(
        `:${plan.chain} - [0:0]`,
        ...plan.rules.map((r) => `-A ${plan.chain} ${r.join(' ')}`),
        ...plan.hooks.map((h) => `-I ${h.chain} 1 ${[...(h.match ?? []), '-j', plan.chain].join(' ')}`),
      );
      byTable.set(plan.table, lines);
    }
    await restore(byTable, family);
  }
}

/** Unhooks, flushes and deletes whatever chains of the network exist. */
export async function removeFirewall(spec: Pick<FirewallSpec, 'chainPrefix' | 'networkId' | 'ipv6'>): Promise<void> {
  for (const family of familiesOf(spec)) await restore(await removalLines(spec, family), family);
}

const familiesOf = (spec: Pick<FirewallSpec, 'ipv6'>): IpFamily[] => (spec.ipv6 ? [4, 6] : [4]);

/** The restore lines, by table, that unhook, flush and delete the network's existing chains. */
async function removalLines(spec: Pick<FirewallSpec, 'chainPrefix' | 'networkId'>, family: IpFamily): Promise<Map<string, string[]>> {
  const id = spec.networkId.slice(0, 12);
  const ours = new Set(CHAIN_KINDS.map((kind) => `${spec.chainPrefix}-${kind}-${id}`));
  const byTable = new Map<string, string[]>();
  const saved = await run(tools(family).save, []);
  for (const block of saved.split(/^\*/m).slice(1)) {
    const [table, ...rest] = block.split('\n');
    if (table !== 'filter' && table !== 'nat') continue;
    // the jumps into our chains from built-in ones (with or without matches), never another rule
    const jumps = rest.filter((l) => ours.has(/^-A [A-Z]+ (?:.* )?-j (\S+)$/.exec(l)?.[1] ?? ''));
    const chains = rest.filter((l) => l.startsWith(':') && ours.has(l.slice(1).split(' ')[0]!)).map((l) => l.slice(1).split(' ')[0]!);
    const lines = [...jumps.map((l) => `-D ${l.slice(3)}`), ...chains.map((c) => `-F ${c}`), ...chains.map((c) => `-X ${c}`)];
    if (lines.length) byTable.set(table, lines);
  }
  return byTable;
}

/** One DNAT rule: connections to `hostPort` (on `hostIp`, or any local address) go to the container. */
export interface PortDnat {
  protocol: 'tcp' | 'udp';
  /** "" = every local address */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

/** Replaces the rules of a realized network's published-ports chain of one family with `forwards`, in one
 *  transaction. Connections coming from any of the service's bridges are left to the userland proxy. */
export async function replacePortDnat(
  spec: Pick<FirewallSpec, 'chainPrefix' | 'networkId' | 'allBridges'>,
  family: IpFamily,
  forwards: PortDnat[],
): Promise<void> {
  const chain = portChainName(spec.chainPrefix, spec.networkId);
  const rules = forwards.map((f) =>
    [
      `-A ${chain}`,
      ...(f.hostIp ? ['-d', `${f.hostIp}/${family === 4 ? 32 : 128}`] : []),
      ...['!', '-i', spec.allBridges, '-p', f.protocol, '-m', f.protocol, '--dport', String(f.hostPort)],
      ...['-j', 'DNAT', '--to-destination', family === 4 ? `${f.containerIp}:${f.containerPort}` : `[${f.containerIp}]:${f.containerPort}`],
    ].join(' '),
  );
  await restore(new Map([['nat', [`-F ${chain}`, ...rules]]]), family);
}

/** One restore for all changes, so they apply together and cost one process. */
async function restore(byTable: Map<string, string[]>, family: IpFamily): Promise<void> {
  if (!byTable.size) return;
  const input = [...byTable].map(([table, lines]) => [`*${table}`, ...lines, 'COMMIT'].join('\n')).join('\n') + '\n';
  await runWithInput(tools(family).restore, ['-w', '--noflush'], input);
}
