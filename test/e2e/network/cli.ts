// What the network e2e suites share: the real docker CLI against either engine, namespaces that stand for
// clients outside the host, and the host's iptables rules to look for leftovers in.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { EngineTarget } from '../lifecycle/engines.js';

const exec = promisify(execFile);

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeout = 60_000): Promise<Result> {
  try {
    const r = await exec(cmd, args, { env, timeout, maxBuffer: 64 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

export const dockerHost = (t: EngineTarget): string =>
  t.name === 'bundled' ? `unix://${t.env.TSCOMPOSE_ENGINE_SOCKET}` : 'unix:///var/run/docker.sock';

/** The docker CLI against the target engine. */
export const docker = (t: EngineTarget, args: string[]): Promise<Result> =>
  run('docker', ['-H', dockerHost(t), ...args], { ...process.env, DOCKER_BUILDKIT: '0' });

/** Like `docker`, but throws with the CLI's stderr when it fails; returns trimmed stdout. */
export async function mustDocker(t: EngineTarget, args: string[]): Promise<string> {
  const r = await docker(t, args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

export const sh = (script: string): Promise<Result> => run('sh', ['-c', script]);

/** Every rule and chain of both IP families' filter and nat tables, as iptables-save prints them. */
export async function hostRules(): Promise<string> {
  const out: string[] = [];
  for (const tool of ['iptables-save', 'ip6tables-save'])
    for (const table of ['filter', 'nat']) out.push((await run(tool, ['-t', table])).stdout);
  return out.join('\n');
}

export interface OutsideNamespace {
  name: string;
  address: string;
  hostSide: string;
  /** with `ipv6`: the namespace's and the host side's IPv6 addresses (fd6f:<n>::/64) */
  address6?: string;
  hostSide6?: string;
  run(args: string[]): Promise<Result>;
  remove(): Promise<void>;
}

/** A named namespace standing for a client outside the host: a veth pair in 198.18.<n>.0/30 (the benchmark
 *  range, unused here) and, with `ipv6`, in fd6f:<n>::/64, the host side being `hostSide`, with default routes
 *  through the host. */
export async function outsideNamespace(tag: string, ipv6 = false): Promise<OutsideNamespace> {
  const n = 1 + Math.floor(Math.random() * 250);
  const name = `n6o-${tag}-${process.pid}`.slice(0, 30);
  const link = `n6o${tag}${process.pid}`.slice(0, 15);
  const hostSide = `198.18.${n}.1`;
  const address = `198.18.${n}.2`;
  const script = [
    `ip netns add ${name}`,
    `ip link add ${link} type veth peer name eth0 netns ${name}`,
    `ip addr add ${hostSide}/30 dev ${link}`,
    `ip link set ${link} up`,
    `ip -n ${name} addr add ${address}/30 dev eth0`,
    `ip -n ${name} link set eth0 up`,
    `ip -n ${name} link set lo up`,
    `ip -n ${name} route add default via ${hostSide}`,
    ...(ipv6
      ? [
          `ip addr add fd6f:${n}::1/64 dev ${link} nodad`,
          `ip -n ${name} addr add fd6f:${n}::2/64 dev eth0 nodad`,
          `ip -n ${name} -6 route add default via fd6f:${n}::1`,
        ]
      : []),
  ].join(' && ');
  const r = await sh(script);
  if (r.code !== 0) throw new Error(`making the client namespace: ${r.stderr}`);
  return {
    name,
    address,
    hostSide,
    ...(ipv6 ? { address6: `fd6f:${n}::2`, hostSide6: `fd6f:${n}::1` } : {}),
    run: (args) => run('nsenter', [`--net=/run/netns/${name}`, ...args]),
    async remove() {
      await sh(`ip link del ${link} 2>/dev/null; ip netns del ${name} 2>/dev/null; true`);
    },
  };
}

/** Why this host cannot carry an IPv6 test, or undefined when it can. */
export async function ipv6Unavailable(): Promise<string | undefined> {
  const disabled = await sh('cat /proc/sys/net/ipv6/conf/all/disable_ipv6');
  if (disabled.code !== 0) return 'this kernel has no IPv6 (/proc/sys/net/ipv6 is missing)';
  if (disabled.stdout.trim() !== '0') return 'IPv6 is disabled on this host (net.ipv6.conf.all.disable_ipv6=1)';
  if ((await sh('ip6tables-save -t nat')).code !== 0) return 'ip6tables (nat table) is not usable on this host';
  return undefined;
}

/** Retries `fn` while a server in a container starts. */
export async function eventually<T>(fn: () => Promise<T>, attempts = 40): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
