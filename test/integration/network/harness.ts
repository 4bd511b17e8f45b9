// Shared set-up for the network integration tests: a private engine state dir, unique "tscn…" names for
// every host object, a random address pool in 10.200.0.0/16, and namespaces that stand in for containers.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { EventBus } from '../../../src/engine/events.js';
import { enginePaths } from '../../../src/engine/paths.js';
import { createNetworkService } from '../../../src/engine/network/index.js';
import type { BridgeNetworkService } from '../../../src/engine/network/service.js';
import type { NetworkOptions } from '../../../src/engine/network/options.js';
import { silentLogger } from '../../../src/engine/log.js';

const exec = promisify(execFile);

/** The attach options a test does not care about: no ports, no extra hosts, no DNS settings. */
export const attachDefaults = {
  portBindings: {},
  publishAll: false,
  exposedPorts: [] as string[],
  extraHosts: [],
  dns: [],
  dnsSearch: [],
  dnsOptions: [],
};

export interface Harness {
  prefix: string;
  root: string;
  events: EventBus;
  /** a /24 inside 10.200.0.0/16 reserved for this test file: "10.200.X" */
  subnet24(): string;
  service(overrides?: Partial<NetworkOptions>): BridgeNetworkService;
  /** a process in a fresh network namespace, like a container after `runc create` */
  namespace(): Promise<number>;
  /** busybox httpd serving `dir` inside the namespace of `pid`, stopped at cleanup */
  serveHttp(pid: number, dir: string, port?: number): void;
  /** a namespace standing for "the outside world": reachable from the host over a veth of its own,
   *  with no route back to any container subnet (so only NAT-ed traffic can get answers) */
  outside(): Promise<{ pid: number; address: string }>;
  cleanup(): Promise<void>;
}

export function createHarness(): Harness {
  const prefix = `tscn${Math.random().toString(36).slice(2, 5)}`;
  const root = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const events = new EventBus();
  const block = 16 * Math.floor(Math.random() * 16); // a /20: 16 /24s
  let next = 0;
  const services: BridgeNetworkService[] = [];
  const processes: ChildProcess[] = [];
  return {
    prefix,
    root,
    events,
    subnet24: () => `10.200.${block + (next++ % 16)}`,
    service(overrides = {}) {
      const resolvConf = path.join(root, 'host-resolv.conf');
      // upstream DNS on loopback only: tests never send queries off this machine
      writeFileSync(resolvConf, 'nameserver 127.0.0.1\n');
      const s = createNetworkService(
        { paths: enginePaths(root), events, log: silentLogger },
        {
          hostResolvConf: resolvConf,
          interfacePrefix: prefix,
          chainPrefix: prefix,
          pools: [{ base: `10.200.${block + 8}.0/21`, size: 24 }],
          ...overrides,
        },
      );
      services.push(s);
      return s;
    },
    async namespace() {
      const child = spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' });
      processes.push(child);
      await new Promise((r) => setTimeout(r, 50));
      // unshare execs sleep, so the child's pid is the namespace's process once the exec happened
      for (let i = 0; i < 50; i++) {
        const { stdout } = await exec('readlink', [`/proc/${child.pid}/exe`]).catch(() => ({ stdout: '' }));
        if (stdout.includes('sleep')) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      return child.pid!;
    },
    serveHttp(pid, dir, port = 80) {
      processes.push(
        spawn('nsenter', [`--net=/proc/${pid}/ns/net`, 'busybox', 'httpd', '-f', '-p', String(port), '-h', dir], { stdio: 'ignore' }),
      );
    },
    async outside() {
      const pid = await this.namespace();
      const net = this.subnet24();
      const hostSide = `${prefix}o${Math.random().toString(36).slice(2, 6)}`;
      await exec('ip', ['link', 'add', hostSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(pid)]);
      await exec('ip', ['addr', 'add', `${net}.1/30`, 'dev', hostSide]);
      await exec('ip', ['link', 'set', hostSide, 'up']);
      for (const args of [
        ['addr', 'add', `${net}.2/30`, 'dev', 'eth0'],
        ['link', 'set', 'eth0', 'up'],
        ['link', 'set', 'lo', 'up'],
      ]) {
        await exec('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', ...args]);
      }
      return { pid, address: `${net}.2` };
    },
    async cleanup() {
      for (const s of services) await s.teardown().catch(() => undefined);
      for (const p of processes) p.kill('SIGKILL');
      await sweepHostObjects(prefix);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Removes whatever a failed test left behind: links and iptables chains named with `prefix`. */
export async function sweepHostObjects(prefix: string): Promise<void> {
  const links = JSON.parse((await exec('ip', ['-j', 'link', 'show'])).stdout) as { ifname: string }[];
  for (const l of links) if (l.ifname.startsWith(prefix)) await exec('ip', ['link', 'del', l.ifname]).catch(() => undefined);
  for (const table of ['filter', 'nat']) {
    const rules = (await exec('iptables-save', ['-t', table])).stdout.split('\n');
    for (const rule of rules) {
      if (rule.startsWith('-A ') && rule.includes(`-j ${prefix}`) && !rule.startsWith(`-A ${prefix}`)) {
        await exec('iptables', ['-w', '-t', table, '-D', ...rule.slice(3).split(' ')]).catch(() => undefined);
      }
    }
    for (const rule of rules) {
      const chain = /^:(\S+)/.exec(rule)?.[1];
      if (chain?.startsWith(prefix)) {
        await exec('iptables', ['-w', '-t', table, '-F', chain]).catch(() => undefined);
        await exec('iptables', ['-w', '-t', table, '-X', chain]).catch(() => undefined);
      }
    }
  }
}

/** Runs a command inside the namespace of `pid`. */
export async function inNamespace(
  pid: number,
  args: string[],
  timeoutMs = 10000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('nsenter', [`--net=/proc/${pid}/ns/net`, ...args], { timeout: timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Runs a command inside the namespace of `pid` with `resolvConf` as its /etc/resolv.conf (private mount namespace). */
export async function inNamespaceWithResolvConf(
  pid: number,
  resolvConfFile: string,
  script: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return inNamespace(pid, ['unshare', '--mount', 'sh', '-c', `mount --bind ${resolvConfFile} /etc/resolv.conf && ${script}`]);
}
