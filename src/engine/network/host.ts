// The host commands networking runs (iproute2, iptables, nsenter), and what it reads from the host.
import { readFile, writeFile } from 'node:fs/promises';
import { parseCidr, type Subnet } from './cidr.js';
import { hostCommands } from '../command-runner.js';

export class HostCommandError extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
  ) {
    super(`${command}: ${stderr.trim() || 'failed'}`);
  }
}

/** TSCOMPOSE_NETWORK_TRACE=1 prints each host command with its duration to stderr (profiling). */
const trace = process.env.TSCOMPOSE_NETWORK_TRACE === '1';

async function traced<T>(cmd: string, args: string[], job: Promise<T>): Promise<T> {
  if (!trace) return job;
  const start = process.hrtime.bigint();
  try {
    return await job;
  } finally {
    process.stderr.write(`[network] ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(1)} ms  ${cmd} ${args.join(' ')}\n`);
  }
}

export async function run(cmd: string, args: string[]): Promise<string> {
  return runWithInput(cmd, args, undefined);
}

/** Through the engine's command runner: a spawn from the engine would block its event loop. */
export async function runWithInput(cmd: string, args: string[], input: string | undefined): Promise<string> {
  const r = await traced(cmd, args, hostCommands.run(cmd, args, input));
  if (r.code !== 0) throw new HostCommandError(`${cmd} ${args.join(' ')}`, r.stderr || `exited with ${r.code}`);
  return r.stdout;
}

/** Runs and ignores failure: for idempotent clean-up of things that may already be gone. */
export async function tryRun(cmd: string, args: string[]): Promise<boolean> {
  try {
    await run(cmd, args);
    return true;
  } catch {
    return false;
  }
}

export const ip = (...args: string[]) => run('ip', args);

/** `ip -batch` input: one command a line. */
const batchInput = (commands: string[][]): string => commands.map((c) => c.join(' ')).join('\n') + '\n';

/** Several `ip` commands on the host with one process (`ip -batch`, stops at the first error). */
export async function ipBatch(commands: string[][]): Promise<void> {
  await runWithInput('ip', ['-batch', '-'], batchInput(commands));
}

/** A network namespace: the one a process is in, or a named one (/run/netns/<name>, `ip netns add`). */
export type Netns = { pid: number } | { name: string };

/** How `ip link … netns <ref>` names it. */
export const netnsRef = (ns: Netns): string => ('pid' in ns ? String(ns.pid) : ns.name);

/** Several `ip` commands in a namespace with one process (`ip -batch`, stops at the first error). */
export async function ipBatchInNetns(ns: Netns, commands: string[][]): Promise<void> {
  const input = batchInput(commands);
  if ('pid' in ns) await runWithInput('nsenter', [`--net=/proc/${ns.pid}/ns/net`, 'ip', '-batch', '-'], input);
  else await runWithInput('ip', ['-n', ns.name, '-batch', '-'], input);
}

/** Several `ip` commands on the host that each may fail (clean-up of what may already be gone). */
export async function ipBatchForce(commands: string[][]): Promise<void> {
  await runWithInput('ip', ['-force', '-batch', '-'], batchInput(commands)).catch(() => undefined);
}

export interface HostRoute {
  subnet: Subnet;
  dev: string;
}

/** Every IPv4 destination the host routes somewhere (except the default route), with its device. */
export async function hostRoutes(): Promise<HostRoute[]> {
  const routes = JSON.parse(await ip('-j', '-4', 'route', 'show', 'table', 'all')) as { dst: string; type?: string; dev?: string }[];
  const out: HostRoute[] = [];
  for (const r of routes) {
    if (r.dst === 'default' || r.type === 'broadcast') continue;
    const subnet = parseCidr(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
    if (subnet && subnet.prefix > 0) out.push({ subnet, dev: r.dev ?? '' });
  }
  return out;
}

export async function linkExists(name: string): Promise<boolean> {
  return tryRun('ip', ['link', 'show', 'dev', name]);
}

export async function enableIpForwarding(): Promise<void> {
  const file = '/proc/sys/net/ipv4/ip_forward';
  if ((await readFile(file, 'utf8')).trim() !== '1') await writeFile(file, '1');
}

/** Routing between the bridges of networks with IPv6 enabled and the host's other interfaces (Docker sets it
 *  too; note that it makes the host stop accepting router advertisements where accept_ra is 1). */
export async function enableIpv6Forwarding(): Promise<void> {
  const file = '/proc/sys/net/ipv6/conf/all/forwarding';
  if ((await readFile(file, 'utf8')).trim() !== '1') await writeFile(file, '1');
}

/** The nameservers, search domains and options of the host's /etc/resolv.conf. */
export interface HostResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

export async function readHostResolvConf(file = '/etc/resolv.conf'): Promise<HostResolvConf> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    /* no resolv.conf: no upstream servers */
  }
  return parseResolvConf(text);
}

export function parseResolvConf(text: string): HostResolvConf {
  const conf: HostResolvConf = { nameservers: [], search: [], options: [] };
  for (const line of text.split('\n')) {
    const [key, ...values] = line
      .replace(/[#;].*$/, '')
      .trim()
      .split(/\s+/);
    if (key === 'nameserver' && values[0]) conf.nameservers.push(values[0]);
    else if (key === 'search' || key === 'domain') conf.search = values;
    else if (key === 'options') conf.options.push(...values);
  }
  return conf;
}
