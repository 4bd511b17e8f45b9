// Attach/detach cost of the bundled engine's network service, on networks that already exist: a container
// joining and leaving an otherwise empty network (`docker run --rm` on the default bridge) and one joining a
// network that already has an endpoint. Uses a private state dir, "tscnb…" host names and 10.201.0.0/16.
// Run alone: `node --import tsx bench/network.ts [iterations]` (root; prints JSON and a table).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EventBus } from '../src/engine/events.js';
import { enginePaths } from '../src/engine/paths.js';
import { createNetworkService } from '../src/engine/network/index.js';
import type { AttachOptions, BridgeNetworkService } from '../src/engine/network/service.js';
import { markdownTable, type BenchRow } from './lib.js';
import { sweepHostObjects } from '../test/integration/network/harness.js';
import { silentLogger } from '../src/engine/log.js';

interface Sample {
  attachMs: number[];
  detachMs: number[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return Math.round((s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2) * 10) / 10;
};
const spread = (xs: number[]) => Math.round((Math.max(...xs) - Math.min(...xs)) * 10) / 10;

async function namespace(children: ChildProcess[]): Promise<number> {
  const child = spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' });
  children.push(child);
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 20));
    try {
      if ((await import('node:fs')).readlinkSync(`/proc/${child.pid}/exe`).includes('sleep')) break;
    } catch {
      /* not yet */
    }
  }
  return child.pid!;
}

function attachOptions(containerId: string, pid: number, network: string): AttachOptions {
  return {
    containerId,
    containerName: `bench-${containerId.slice(0, 6)}`,
    hostname: 'bench',
    pid,
    mode: 'bridge',
    endpoints: [{ network, aliases: [] }],
    portBindings: {},
    publishAll: false,
    exposedPorts: [],
    extraHosts: [],
    dns: [],
    dnsSearch: [],
    dnsOptions: [],
  };
}

/** Each run is a new container in a new namespace, as with `docker run --rm` (namespaces made untimed). */
async function cycle(
  service: BridgeNetworkService,
  make: (id: string, pid: number) => AttachOptions,
  runs: number,
  children: ChildProcess[],
): Promise<Sample> {
  const out: Sample = { attachMs: [], detachMs: [] };
  for (let i = 0; i < runs; i++) {
    const opts = make(randomBytes(32).toString('hex'), await namespace(children));
    let t = process.hrtime.bigint();
    await service.attach(opts);
    out.attachMs.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    await service.detach(opts.containerId);
    out.detachMs.push(Number(process.hrtime.bigint() - t) / 1e6);
    children.pop()!.kill('SIGKILL');
  }
  return out;
}

export async function runNetworkBench(runs = 20): Promise<BenchRow[]> {
  if (process.getuid?.() !== 0) return [];
  const prefix = `tscnb${Math.random().toString(36).slice(2, 4)}`;
  const root = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const children: ChildProcess[] = [];
  const resolvConf = path.join(root, 'resolv.conf');
  writeFileSync(resolvConf, 'nameserver 127.0.0.1\n');
  const service = createNetworkService(
    { paths: enginePaths(root), events: new EventBus(), log: silentLogger },
    {
      interfacePrefix: prefix,
      chainPrefix: prefix,
      hostResolvConf: resolvConf,
      pools: [{ base: '10.201.0.0/16', size: 24 }],
    },
  );
  try {
    const user = `${prefix}-net`;
    await service.createNetwork({ name: user });
    const on = (net: string) => (id: string, pid: number) => attachOptions(id, pid, net);
    // one untimed round so every network has been used once (the engine's steady state)
    for (const net of ['bridge', user]) await cycle(service, on(net), 1, children);
    const alone = { bridge: await cycle(service, on('bridge'), runs, children), user: await cycle(service, on(user), runs, children) };
    await service.attach(attachOptions('c'.repeat(64), await namespace(children), user));
    const shared = await cycle(service, on(user), runs, children);
    const row = (name: string, xs: number[]): BenchRow => ({
      case: name,
      tool: 'tscompose engine',
      medianMs: median(xs),
      spreadMs: spread(xs),
    });
    return [
      row('network: attach, default bridge, only endpoint', alone.bridge.attachMs),
      row('network: detach, default bridge, only endpoint', alone.bridge.detachMs),
      row('network: attach, user network with DNS, only endpoint', alone.user.attachMs),
      row('network: detach, user network with DNS, only endpoint', alone.user.detachMs),
      row('network: attach, user network, 2nd endpoint', shared.attachMs),
      row('network: detach, user network, 2nd endpoint', shared.detachMs),
    ];
  } finally {
    await service.teardown().catch(() => undefined);
    for (const c of children) c.kill('SIGKILL');
    await sweepHostObjects(prefix);
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await runNetworkBench(Number(process.argv[2]) || 20);
  process.stdout.write(markdownTable(rows));
}
