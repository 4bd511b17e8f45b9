// `npm run bench:footprint` (issue #17): what the engine side costs per container, beside Docker Engine
// in the same run.
// 1. Resident memory of everything the engine keeps running (not the containers' own processes) with
//    0, 50 and 200 idle busybox `sleep 3600` containers: RSS and PSS summed over the processes
//    (bench/process-memory.ts says which), the per-container growth from 50 to 200, the ratio at 50.
// 2. `ps` (GET /containers/json?all=1) and `inspect` latency with 200 containers, through dockerode and
//    through the docker CLI, all cases in rounds.
// 3. Cold `up -d` (and `down`) of a generated 200-service stack: tscompose on the bundled engine next to
//    Debian's docker-compose v1 on Docker Engine.
// 4. Standalone only: `run --rm true` through dockerode next to bare `runc run`, from bench/engine.ts (in
//    `npm run bench` that module reports it itself).
// The issue's targets are in the case labels; the standalone table also says whether each is met.
// `--quick` (or BENCH_FOOTPRINT_QUICK=1) takes fewer samples and rounds; the container counts stay.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { busyboxContext } from '../test/helpers/busybox-image.js';
import { ensureDockerd } from '../test/helpers/dockerd.js';
import { ensureDebianPackages, ShellTimer, timeInterleaved, which, type BenchRow } from './lib.js';
import { engineSide, footprint, ownPidNs, snapshot, type Footprint, type ProcInfo } from './process-memory.js';
import { startBundledEngine } from './startup.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'dist/cli/main.js');
const QUICK = process.argv.includes('--quick') || process.env.BENCH_FOOTPRINT_QUICK === '1';
const COUNTS = [0, 50, 200] as const;
const SERVICES = 200;
const MEMORY_SAMPLES = QUICK ? 3 : 5;
const SETTLE_MS = QUICK ? 2000 : 5000;
const LATENCY_ROUNDS = QUICK ? 5 : 15;
const UP_RUNS = Number(process.env.BENCH_FOOTPRINT_UP_RUNS ?? (QUICK ? 1 : 3));
/** an `up -d` still running after this long is stopped and counted at the limit (docker-compose v1 took
 *  over 10 minutes for 200 services on this machine under load) */
const UP_LIMIT_MS = Number(process.env.BENCH_FOOTPRINT_UP_LIMIT_S ?? (QUICK ? 300 : 1200)) * 1000;
const SKIP_UP = process.argv.includes('--no-up');
const CONCURRENCY = 4;
const IMAGE = 'tsc-bench-footprint/busybox:latest';
const LABEL = 'tsc-bench-footprint';
const DOCKERD_SOCKET = '/var/run/docker.sock';
const OURS = 'tscompose bundled engine';
const PEER = 'Docker Engine 20.10';

/** One engine under measurement: its API, its CLI flags, and which processes are its engine side. */
interface Side {
  name: string;
  api: Docker;
  host: string[];
  /** the processes the walk starts from, in a fresh snapshot */
  roots(procs: Map<number, ProcInfo>): number[];
  /** processes (and what runs below them) that are not this run's */
  skip(p: ProcInfo): boolean;
}

function bundledSide(engine: { pid: number; root: string; socket: string }): Side {
  return {
    name: OURS,
    api: new Docker({ socketPath: engine.socket }),
    host: ['-H', `unix://${engine.socket}`],
    // the engine and what it started, plus anything naming its state root (a runtime or monitor
    // reparented away from the engine, e.g. to a subreaper or to init)
    roots: (procs) => [engine.pid, ...[...procs.values()].filter((p) => p.argv.some((a) => a.includes(engine.root))).map((p) => p.pid)],
    skip: () => false,
  };
}

/** The dockerd that serves DOCKERD_SOCKET (other dockerds may run on this machine, with their own pidfiles). */
function dockerdPid(): number | undefined {
  try {
    return Number(readFileSync('/var/run/docker.pid', 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

function dockerSide(ids: Set<string>): Side {
  const shim = (p: ProcInfo) => p.name.startsWith('containerd-shim');
  const ours = (p: ProcInfo) => p.argv.some((a) => ids.has(a));
  return {
    name: PEER,
    api: new Docker({ socketPath: DOCKERD_SOCKET }),
    host: ['-H', `unix://${DOCKERD_SOCKET}`],
    // dockerd and what it started (its containerd, docker-proxy), a system containerd when dockerd uses
    // that one instead, and the shims (reparented to init) of this run's containers
    roots: (procs) => {
      const dockerd = dockerdPid();
      const all = [...procs.values()];
      const ownContainerd = all.some((p) => p.ppid === dockerd && p.name === 'containerd');
      const systemContainerd = ownContainerd
        ? []
        : all.filter((p) => p.name === 'containerd' && p.ppid === 1 && !p.argv.includes('--config'));
      return [
        ...(dockerd ? [dockerd] : []),
        ...systemContainerd.map((p) => p.pid),
        ...all.filter((p) => shim(p) && ours(p)).map((p) => p.pid),
      ];
    },
    // a dockerd shared with other users runs their containers too: only this run's shims count
    skip: (p) => shim(p) && !ours(p),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round1 = (n: number) => Math.round(n * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface MemoryFigure {
  rssMb: number;
  rssSpreadMb: number;
  pssMb: number;
  pssSpreadMb: number;
  last: Footprint;
}

/** Median of several samples a second apart (the engine's heap breathes with its GC). */
async function measureMemory(side: Side): Promise<MemoryFigure> {
  const hostNs = ownPidNs();
  const samples: Footprint[] = [];
  for (let i = 0; i < MEMORY_SAMPLES; i++) {
    if (i) await sleep(1000);
    const procs = snapshot();
    samples.push(footprint(engineSide(procs, side.roots(procs), hostNs, side.skip)));
  }
  const mb = (xs: number[]) => ({ median: round1(median(xs) / 1024), spread: round1((Math.max(...xs) - Math.min(...xs)) / 1024) });
  const rss = mb(samples.map((s) => s.rssKb));
  const pss = mb(samples.map((s) => s.pssKb));
  return { rssMb: rss.median, rssSpreadMb: rss.spread, pssMb: pss.median, pssSpreadMb: pss.spread, last: samples.at(-1)! };
}

/** Runs `fn` on every item, `limit` at a time; stops taking new items once one fails or `aborted()`, and
 *  settles only when no call is in flight any more (so a clean-up after it sees everything made). */
async function pool<T>(items: T[], limit: number, aborted: () => boolean, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      if (aborted()) throw new Error('interrupted');
      try {
        await fn(items[next++]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

async function removeLabelled(api: Docker): Promise<void> {
  const list = await api.listContainers({ all: true, filters: { label: [LABEL] } });
  await pool(
    list,
    CONCURRENCY,
    () => false,
    async (c) => {
      await api
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {});
    },
  );
}

/** Commands running now (compose up/down, docker build), ended on Ctrl-C before the clean-up. */
const live = new Set<ChildProcess>();

/** Runs a command to completion: its duration in ms (process start included, as a user waits for it).
 *  Past `limitMs` it is interrupted and the limit stands for its duration (`stopped`: a lower bound). */
function timedRun(argv: string[], env: NodeJS.ProcessEnv, cwd: string, limitMs = Infinity): Promise<{ ms: number; stopped: boolean }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    live.add(child);
    let stopped = false;
    const timer = Number.isFinite(limitMs)
      ? setTimeout(() => {
          stopped = true;
          child.kill('SIGINT');
        }, limitMs)
      : undefined;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    child.on('error', (err) => {
      live.delete(child);
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      live.delete(child);
      clearTimeout(timer);
      if (stopped) resolve({ ms: limitMs, stopped });
      else if (code === 0) resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, stopped });
      else reject(new Error(`${argv.slice(0, 8).join(' ')} … exited with ${code}: ${stderr.slice(-400)}`));
    });
  });
}

/** A compose file of `n` busybox services that sleep. */
export function sleepStack(n: number, image: string): string {
  const lines = ['services:'];
  for (let i = 0; i < n; i++) lines.push(`  s${i}:`, `    image: ${image}`, '    command: ["sleep", "3600"]');
  return `${lines.join('\n')}\n`;
}

/** The issue's target for a row: a ceiling on the ratio to the peer, or on the value itself. */
interface Target {
  label: string;
  met(row: BenchRow): boolean | undefined;
}
const ratioAtMost = (max: number): Target => ({
  label: `≤ ${max}×`,
  met: (r) => {
    const ratio = r.pairedRatio ?? (r.peerMedianMs ? r.medianMs / r.peerMedianMs : undefined);
    return ratio === undefined ? undefined : ratio <= max;
  },
});
const valueAtMost = (max: number, unit: string): Target => ({ label: `≤ ${max} ${unit}`, met: (r) => r.medianMs <= max });

const targets = new Map<BenchRow, Target>();
function withTarget(row: BenchRow, target: Target): BenchRow {
  row.case = `${row.case} [target ${target.label}]`;
  targets.set(row, target);
  return row;
}

export async function runFootprintBench(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<BenchRow[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-bench-footprint-'));
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  let aborted = false;
  // one clean-up, whether the run ends, fails or is interrupted (then both paths wait for the same one)
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      while (cleanups.length) {
        try {
          await cleanups.pop()!();
        } catch (err) {
          log(`footprint: cleanup: ${(err as Error).message}`);
        }
      }
    })());
  // Ctrl-C or a kill: stop what runs, remove what this run made (400 containers, two stacks), then leave
  const onSignal = (signal: NodeJS.Signals) => {
    aborted = true;
    log(`footprint: ${signal}: cleaning up …`);
    for (const child of live) child.kill('SIGINT');
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const rows: BenchRow[] = [];
  const shell = new ShellTimer();
  cleanups.push(() => shell.close());
  try {
    const engine = await startBundledEngine(dir);
    cleanups.push(async () => {
      await engine.stop();
      await timedRun(['umount', '-R', engine.root], process.env, dir).catch(() => {});
    });
    const dockerIds = new Set<string>();
    const sides: Side[] = [bundledSide(engine)];
    const dockerd = await ensureDockerd();
    if (dockerd) sides.push(dockerSide(dockerIds));
    else log('footprint: dockerd is not available: no peer figures');

    // the same image on both engines, from Debian's static busybox (no registry)
    const ctx = busyboxContext();
    try {
      for (const side of sides)
        await timedRun(['docker', ...side.host, 'build', '-q', '-t', IMAGE, ctx], { ...process.env, DOCKER_BUILDKIT: '0' }, dir);
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
    if (dockerd)
      cleanups.push(() => timedRun(['docker', '-H', `unix://${DOCKERD_SOCKET}`, 'rmi', '-f', IMAGE], process.env, dir).catch(() => {}));
    // containers being created when the run is interrupted are removed too: the clean-up waits for them
    let creating: Promise<void> = Promise.resolve();
    for (const side of sides) {
      await removeLabelled(side.api); // left by an interrupted run
      cleanups.push(async () => {
        await creating.catch(() => {});
        await removeLabelled(side.api);
      });
    }

    // 1. memory at 0, 50, 200 idle containers
    const memory = new Map<string, Map<number, MemoryFigure>>(sides.map((s) => [s.name, new Map()]));
    const running = new Map<string, string[]>(sides.map((s) => [s.name, []]));
    for (const count of COUNTS) {
      for (const side of sides) {
        const ids = running.get(side.name)!;
        const more = Array.from({ length: count - ids.length }, (_, i) => ids.length + i);
        const started = Date.now();
        creating = pool(
          more,
          CONCURRENCY,
          () => aborted,
          async () => {
            const c = await side.api.createContainer({ Image: IMAGE, Cmd: ['sleep', '3600'], Labels: { [LABEL]: '1' } });
            ids.push(c.id);
            if (side.name === PEER) dockerIds.add(c.id);
            await c.start();
          },
        );
        await creating;
        if (more.length)
          log(`footprint: ${side.name}: ${count} containers running (${((Date.now() - started) / 1000).toFixed(0)} s for ${more.length})`);
      }
      await sleep(SETTLE_MS);
      for (const side of sides) {
        const m = await measureMemory(side);
        memory.get(side.name)!.set(count, m);
        log(
          `footprint: ${side.name}, ${count} containers: RSS ${m.rssMb} MB, PSS ${m.pssMb} MB in ${m.last.processes} processes (${Object.entries(
            m.last.byName,
          )
            .map(([n, k]) => `${n}×${k}`)
            .join(', ')})`,
        );
      }
    }
    const ours = memory.get(OURS)!;
    const peer = memory.get(PEER);
    const memRow = (label: string, pick: (m: MemoryFigure) => [number, number], count: number): BenchRow => {
      const [v, spread] = pick(ours.get(count)!);
      const row: BenchRow = { case: label, tool: OURS, medianMs: v, spreadMs: spread, unit: 'MB' };
      if (peer) Object.assign(row, { peer: PEER, peerMedianMs: pick(peer.get(count)!)[0] });
      return row;
    };
    const growth = (m: Map<number, MemoryFigure>, key: 'rssMb' | 'pssMb') =>
      Math.round(((m.get(200)![key] - m.get(50)![key]) / 150) * 100) / 100;
    for (const [kind, pick] of [
      ['RSS', (m: MemoryFigure): [number, number] => [m.rssMb, m.rssSpreadMb]],
      ['PSS', (m: MemoryFigure): [number, number] => [m.pssMb, m.pssSpreadMb]],
    ] as const) {
      for (const count of COUNTS) {
        const row = memRow(`engine-side ${kind}, ${count} idle containers`, pick, count);
        rows.push(count === 50 ? withTarget(row, ratioAtMost(0.25)) : row);
      }
      const key = kind === 'RSS' ? 'rssMb' : 'pssMb';
      const row: BenchRow = {
        case: `engine-side ${kind} growth per container (200−50)/150`,
        tool: OURS,
        medianMs: growth(ours, key),
        spreadMs: 0,
        unit: 'MB',
      };
      if (peer) Object.assign(row, { peer: PEER, peerMedianMs: growth(peer, key) });
      rows.push(withTarget(row, valueAtMost(2, 'MB')));
    }

    // 2. ps and inspect with 200 containers
    if (aborted) throw new Error('interrupted');
    const cases: Record<string, () => Promise<unknown>> = {};
    for (const side of sides) {
      const one = running.get(side.name)![100]!;
      cases[`${side.name}|ps (GET /containers/json?all=1), 200 containers, dockerode`] = () => side.api.listContainers({ all: true });
      cases[`${side.name}|inspect (GET /containers/{id}/json), 200 containers, dockerode`] = () => side.api.getContainer(one).inspect();
      cases[`${side.name}|docker ps -a, 200 containers, docker CLI`] = () => shell.time('docker', [...side.host, 'ps', '-a']);
      cases[`${side.name}|docker inspect, 200 containers, docker CLI`] = () => shell.time('docker', [...side.host, 'inspect', one]);
    }
    for (const fn of Object.values(cases)) await fn(); // warm both engines' caches and the CLI's page cache
    const t = await timeInterleaved(cases, LATENCY_ROUNDS);
    for (const key of Object.keys(cases).filter((k) => k.startsWith(`${OURS}|`))) {
      const label = key.slice(OURS.length + 1);
      const mine = t[key]!;
      const theirs = t[`${PEER}|${label}`];
      const row: BenchRow = { case: label, tool: OURS, medianMs: mine.medianMs, spreadMs: mine.spreadMs };
      if (theirs)
        Object.assign(row, {
          peer: PEER,
          peerMedianMs: theirs.medianMs,
          pairedRatio: median(mine.samplesMs.map((x, i) => x / theirs.samplesMs[i]!)),
        });
      rows.push(row);
    }
    for (const r of rows.filter((x) => !x.unit)) log(`footprint: ${r.case}: ${r.medianMs} ms, ${r.peer ?? ''} ${r.peerMedianMs ?? ''} ms`);

    // the idle containers go before the stacks come
    for (const side of sides) {
      await removeLabelled(side.api);
      dockerIds.clear();
    }

    // 3. cold up -d and down of a 200-service stack
    if (aborted) throw new Error('interrupted');
    if (!SKIP_UP) rows.push(...(await coldUp(dir, engine.env, dockerd, cleanups, () => aborted, log)));
    return rows;
  } finally {
    await cleanUp();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function coldUp(
  dir: string,
  bundledEnv: Record<string, string>,
  dockerd: boolean,
  cleanups: (() => unknown)[],
  aborted: () => boolean,
  log: (l: string) => void,
): Promise<BenchRow[]> {
  const file = path.join(dir, `stack-${SERVICES}.yaml`);
  writeFileSync(file, sleepStack(SERVICES, IMAGE));
  ensureDebianPackages(['docker-compose']);
  const v1 = dockerd ? which('docker-compose') : undefined;
  if (dockerd && !v1) log('footprint: docker-compose v1 is not installed: no peer figure for up -d');
  const tools = [
    {
      name: 'tscompose (bundled engine)',
      argv: [process.execPath, cli, '--engine', 'bundled', '-f', file, '-p', 'tsc-bench-footprint-ts'],
      env: { ...process.env, ...bundledEnv, CI: '1' },
    },
    ...(v1
      ? [
          {
            name: 'docker-compose v1 (Docker Engine 20.10)',
            argv: [v1, '-f', file, '-p', 'tsc-bench-footprint-v1'],
            env: { ...process.env, CI: '1' },
          },
        ]
      : []),
  ];
  const samples = new Map(tools.map((t) => [t.name, { up: [] as number[], down: [] as number[], stopped: false }]));
  for (const tool of tools) {
    const down = () => timedRun([...tool.argv, 'down', '-t', '0'], tool.env, dir);
    cleanups.push(() => down().catch(() => {}));
    await down(); // left by an interrupted run
  }
  for (let i = 0; i < UP_RUNS && !aborted(); i++) {
    for (const tool of tools) {
      const s = samples.get(tool.name)!;
      const up = await timedRun([...tool.argv, 'up', '-d'], tool.env, dir, UP_LIMIT_MS);
      s.up.push(up.ms);
      s.stopped ||= up.stopped;
      s.down.push((await timedRun([...tool.argv, 'down', '-t', '0'], tool.env, dir)).ms);
      log(
        `footprint: ${tool.name}: up -d of ${SERVICES} services ${up.stopped ? '≥ ' : ''}${(up.ms / 1000).toFixed(1)} s${up.stopped ? ' (stopped at the limit)' : ''}, down ${(s.down.at(-1)! / 1000).toFixed(1)} s`,
      );
    }
  }
  const [mine, theirs] = tools.map((t) => samples.get(t.name)!);
  const rows: BenchRow[] = [];
  const stoppedNote = tools.some((t) => samples.get(t.name)!.stopped)
    ? ` (${tools
        .filter((t) => samples.get(t.name)!.stopped)
        .map((t) => t.name)
        .join(', ')} stopped at the ${UP_LIMIT_MS / 1000} s limit: a lower bound; its down removes fewer containers)`
    : '';
  for (const [kind, label] of [
    ['up', `cold up -d, ${SERVICES} services${stoppedNote}`],
    ['down', `down -t 0, ${SERVICES} services${stoppedNote}`],
  ] as const) {
    const xs = mine![kind];
    const row: BenchRow = {
      case: label,
      tool: tools[0]!.name,
      medianMs: Math.round(median(xs)),
      spreadMs: Math.round(Math.max(...xs) - Math.min(...xs)),
    };
    if (theirs)
      Object.assign(row, {
        peer: tools[1]!.name,
        peerMedianMs: Math.round(median(theirs[kind])),
        pairedRatio: median(xs.map((x, i) => x / theirs[kind][i]!)),
      });
    rows.push(kind === 'up' ? withTarget(row, ratioAtMost(0.25)) : row);
  }
  return rows;
}

/** `run --rm true` through dockerode next to bare `runc run`, as bench/engine.ts measures it. */
async function runRmRow(): Promise<BenchRow[]> {
  const { runEngineBench } = await import('./engine.js');
  const rows = await runEngineBench();
  return rows
    .filter((r) => r.case === 'run --rm true' && r.tool === 'tscompose engine via dockerode')
    .map((r) => withTarget({ ...r }, ratioAtMost(1.3)));
}

function fmt(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '' : v >= 100 ? v.toFixed(0) : String(round1(v));
}

/** The standalone table: every figure with its unit, the ratio to the peer, the issue's target and whether it is met. */
export function footprintTable(rows: BenchRow[]): string {
  const lines = [
    '| case | tool | median | spread | peer | peer median | ratio | paired ratio | target met |',
    '|---|---|---:|---:|---|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const unit = r.unit ?? 'ms';
    const ratio = r.peerMedianMs ? (r.medianMs / r.peerMedianMs).toFixed(2) : '';
    const target = targets.get(r);
    const met = target?.met(r);
    lines.push(
      `| ${r.case} | ${r.tool} | ${fmt(r.medianMs)} ${unit} | ${fmt(r.spreadMs)} | ${r.peer ?? ''} | ${r.peerMedianMs === undefined ? '' : `${fmt(r.peerMedianMs)} ${unit}`} | ${ratio} | ${r.pairedRatio?.toFixed(2) ?? ''} | ${met === undefined ? '' : met ? 'yes' : 'no'} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && !process.env.TSCOMPOSE_BENCH_AGGREGATE) {
  try {
    process.stdout.write(footprintTable(await runFootprintBench()));
    // printed apart: the footprint figures stand even if this later part is interrupted
    if (!process.argv.includes('--no-run-rm')) process.stdout.write(`\n${footprintTable(await runRmRow())}`);
    process.exit(0);
  } catch (err) {
    process.stderr.write(`footprint: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
