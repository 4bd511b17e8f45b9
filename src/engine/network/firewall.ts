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
}

const iptables = (...args: string[]) => run('iptables', ['-w', ...args]);

interface ChainPlan { table: 'filter' | 'nat'; hook: string; chain: string; rules: string[][] }

function chainPlans(s: FirewallSpec): ChainPlan[] {
  const id = s.networkId.slice(0, 12);
  const forward: ChainPlan = { table: 'filter', hook: 'FORWARD', chain: `${s.chainPrefix}-F-${id}`, rules: [] };
  const input: ChainPlan = { table: 'filter', hook: 'INPUT', chain: `${s.chainPrefix}-I-${id}`, rules: [] };
  const nat: ChainPlan = { table: 'nat', hook: 'POSTROUTING', chain: `${s.chainPrefix}-N-${id}`, rules: [] };
  const br = s.bridge;
  if (s.internal) {
    forward.rules.push(['-i', br, '-o', br, '-j', 'ACCEPT'], ['-i', br, '-j', 'DROP'], ['-o', br, '-j', 'DROP']);
    input.rules.push(['-i', br, '!', '-d', s.gateway, '-j', 'DROP']);
    return [forward, input];
  }
  forward.rules.push(
    ['-i', br, '-o', br, '-j', 'ACCEPT'],
    ['-i', br, '-o', s.allBridges, '-j', 'DROP'],
    ['-i', br, '-j', 'ACCEPT'],
    ['-o', br, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
  );
  if (!s.masquerade) return [forward];
  nat.rules.push(['-s', s.subnet, '!', '-o', br, '-j', 'MASQUERADE']);
  return [forward, nat];
}

/** Creates (or re-creates) the network's chains and hooks them in; safe to call again after a restart. */
export async function applyFirewall(spec: FirewallSpec): Promise<void> {
  for (const plan of chainPlans(spec)) {
    if (!(await tryRun('iptables', ['-w', '-t', plan.table, '-N', plan.chain]))) await iptables('-t', plan.table, '-F', plan.chain);
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
  ];
  for (const [table, hook, chain] of chains) {
    while (await tryRun('iptables', ['-w', '-t', table, '-D', hook, '-j', chain]));
    await tryRun('iptables', ['-w', '-t', table, '-F', chain]);
    await tryRun('iptables', ['-w', '-t', table, '-X', chain]);
  }
}
