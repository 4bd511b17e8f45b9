// iptables rules of one network, in chains of its own so they can be replaced and removed as a unit:
// forwarding for the bridge (the host's FORWARD policy may be DROP), isolation from the service's other
// bridges, outbound NAT, and for internal networks no way out at all.
import { run, tryRun } from './host.js';

export interface FirewallSpec {
  chainPrefix: string;
  networkId: string;
  bridge: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  /** iptables interface pattern matching every bridge of this service, e.g. "tsc+" */
  allBridges: string;
  /** outbound NAT (com.docker.network.bridge.enable_ip_masquerade) */
  masquerade: boolean;
  /** DNS queries to gateway:from go to gateway:to, where the embedded DNS really listens */
  dnsRedirect?: { from: number; to: number };
}

const iptables = (...args: string[]) => run('iptables', ['-w', ...args]);

interface ChainPlan { table: 'filter' | 'nat'; hook: string; chain: string; rules: string[][] }

function chainPlans(s: FirewallSpec): ChainPlan[] {
  const id = s.networkId.slice(0, 12);
  const forward: ChainPlan = { table: 'filter', hook: 'FORWARD', chain: `${s.chainPrefix}-F-${id}`, rules: [] };
  const input: ChainPlan = { table: 'filter', hook: 'INPUT', chain: `${s.chainPrefix}-I-${id}`, rules: [] };
  const nat: ChainPlan = { table: 'nat', hook: 'POSTROUTING', chain: `${s.chainPrefix}-N-${id}`, rules: [] };
  const dns: ChainPlan = { table: 'nat', hook: 'PREROUTING', chain: `${s.chainPrefix}-D-${id}`, rules: [] };
  const br = s.bridge;
  if (s.dnsRedirect) {
    for (const proto of ['udp', 'tcp']) {
      dns.rules.push(['-i', br, '-d', s.gateway, '-p', proto, '--dport', String(s.dnsRedirect.from), '-j', 'DNAT', '--to-destination', `${s.gateway}:${s.dnsRedirect.to}`]);
    }
  }
  const withDns = (plans: ChainPlan[]) => (s.dnsRedirect ? [...plans, dns] : plans);
  if (s.internal) {
    forward.rules.push(['-i', br, '-o', br, '-j', 'ACCEPT'], ['-i', br, '-j', 'DROP'], ['-o', br, '-j', 'DROP']);
    input.rules.push(['-i', br, '!', '-d', s.gateway, '-j', 'DROP']);
    return withDns([forward, input]);
  }
  forward.rules.push(
    ['-i', br, '-o', br, '-j', 'ACCEPT'],
    ['-i', br, '-o', s.allBridges, '-j', 'DROP'],
    ['-i', br, '-j', 'ACCEPT'],
    ['-o', br, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
  );
  if (!s.masquerade) return withDns([forward]);
  nat.rules.push(['-s', s.subnet, '!', '-o', br, '-j', 'MASQUERADE']);
  return withDns([forward, nat]);
}

/** Creates (or re-creates) the network's chains and hooks them in; safe to call again after a restart. */
export async function applyFirewall(spec: FirewallSpec): Promise<void> {
  await removeFirewall(spec);
  for (const plan of chainPlans(spec)) {
    await iptables('-t', plan.table, '-N', plan.chain);
    for (const rule of plan.rules) await iptables('-t', plan.table, '-A', plan.chain, ...rule);
    if (!(await tryRun('iptables', ['-w', '-t', plan.table, '-C', plan.hook, '-j', plan.chain]))) {
      await iptables('-t', plan.table, '-I', plan.hook, '1', '-j', plan.chain);
    }
  }
}

export async function removeFirewall(spec: Pick<FirewallSpec, 'chainPrefix' | 'networkId'>): Promise<void> {
  const id = spec.networkId.slice(0, 12);
  const chains: [string, string, string][] = [
    ['filter', 'FORWARD', `${spec.chainPrefix}-F-${id}`],
    ['filter', 'INPUT', `${spec.chainPrefix}-I-${id}`],
    ['nat', 'POSTROUTING', `${spec.chainPrefix}-N-${id}`],
    ['nat', 'PREROUTING', `${spec.chainPrefix}-D-${id}`],
  ];
  for (const [table, hook, chain] of chains) {
    while (await tryRun('iptables', ['-w', '-t', table, '-D', hook, '-j', chain]));
    await tryRun('iptables', ['-w', '-t', table, '-F', chain]);
    await tryRun('iptables', ['-w', '-t', table, '-X', chain]);
  }
}
