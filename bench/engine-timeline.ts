// `npm run bench:engine-timeline [-- --mode reaper|foreground] [--runs N] [--network none|default]`: where the
// milliseconds of `run --rm true` through dockerode go on the bundled engine. The engine runs with
// TSCOMPOSE_ENGINE_TRACE, so the engine, the supervisor and the reaper write their moments (wall clock) to one
// file; the client adds its own (create sent, created, started, removal answered). Each moment is given as its
// offset from the client's create, median over the runs, beside bare `runc run` timed in the same rounds; then
// the CPU time each process of the engine side spent per run (with the processes it reaped: runc and the
// container under the reaper), which the machine's load does not change as it changes durations.
// --main <checkout>/dist/cli/main.js profiles another build (a baseline); --cpu-prof <dir> writes the engine's
// V8 CPU profile there.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { busyboxContext } from '../test/helpers/busybox-image.js';
import { ShellTimer } from './lib.js';
import { mustRun, prepareRuncFloor, waitForEngine } from './engine-common.js';

const IMAGE = 'tsc-bench/busybox:latest';
const repo = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const now = () => performance.timeOrigin + performance.now();

const { values: opts } = parseArgs({
  options: {
    mode: { type: 'string', default: 'reaper' },
    runs: { type: 'string', default: '30' },
    network: { type: 'string', default: 'default' },
    root: { type: 'string' },
    socket: { type: 'string' },
    main: { type: 'string' },
    // a directory for the engine's V8 CPU profile (--cpu-prof), written when it exits
    'cpu-prof': { type: 'string' },
  },
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The trace file's moments of one container, by name (the id's first 12 digits), wall-clock ms. */
function moments(traceText: string): Map<string, Map<string, number>> {
  const byId = new Map<string, Map<string, number>>();
  const put = (id: string, name: string, at: number) => {
    if (!byId.has(id)) byId.set(id, new Map());
    const m = byId.get(id)!;
    if (!m.has(name)) m.set(name, at);
  };
  for (const line of traceText.split('\n')) {
    const parts = line.split(' ');
    const [where, id] = parts;
    if (!where || !id) continue;
    const fields = Object.fromEntries(
      parts
        .slice(2)
        .filter((p) => p.includes('='))
        .map((p) => p.split('=') as [string, string]),
    );
    if (where === 'supervisor' || where === 'reaper') {
      put(id, `${where}.${parts[2]}`, Number(fields.at));
      continue;
    }
    // a phase timer's line: its start, then its laps in order
    let t = Number(fields.at);
    put(id, `${where}.begin`, t);
    for (const p of parts.slice(2)) {
      const [k, v] = p.split('=');
      if (!k || v === undefined || k === 'at' || k === 'total') continue;
      t += Number(v);
      put(id, `${where}.${k}`, t);
    }
  }
  return byId;
}

interface Cpu {
  self: number;
  reaped: number;
}

/** utime+stime of a process and of the children it has waited for, in ms (/proc/<pid>/stat fields 14–17). */
function cpuOf(pid: number): Cpu | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const tick = 10; // ms per clock tick (USER_HZ 100 on Linux)
    return { self: (f[11]! + f[12]!) * tick, reaped: (f[13]! + f[14]!) * tick };
  } catch {
    return undefined;
  }
}

/** The engine, and the reaper and supervisor it started (the supervisor is the reaper's child, or the
 *  engine's without a reaper), found by their parents. */
function engineSideCpu(enginePid: number): Map<string, Cpu> {
  const procs: { pid: number; ppid: number; cmd: string }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${d}/status`, 'utf8'))![1]);
      procs.push({ pid: Number(d), ppid, cmd: readFileSync(`/proc/${d}/cmdline`, 'utf8') });
    } catch {
      /* gone */
    }
  }
  const reaper = procs.find((p) => p.ppid === enginePid && p.cmd.includes('reaper.pl'));
  const supervisor = procs.find((p) => (p.ppid === enginePid || p.ppid === reaper?.pid) && p.cmd.startsWith('tscompose-supervisor'));
  const out = new Map<string, Cpu>();
  for (const [name, pid] of [
    ['engine', enginePid],
    ['supervisor', supervisor?.pid],
    ['reaper', reaper?.pid],
  ] as const) {
    const cpu = pid ? cpuOf(pid) : undefined;
    if (cpu) out.set(name, cpu);
  }
  return out;
}

async function main() {
  const runs = Number(opts.runs);
  const dir = mkdtempSync('/tmp/tsc-bench-timeline-');
  const trace = path.join(dir, 'trace.log');
  const root = opts.root ?? path.join(dir, 'state');
  const socket = opts.socket ?? path.join(dir, 'engine.sock');
  const ctx = busyboxContext();
  const shell = new ShellTimer();
  let daemon: ChildProcess | undefined;
  try {
    const floor = prepareRuncFloor(dir, shell);
    const dist = opts.main ?? path.join(repo, 'dist', 'cli', 'main.js');
    const args = existsSync(dist) ? [dist] : ['--import', 'tsx', path.join(repo, 'src', 'cli', 'main.ts')];
    const env = {
      ...process.env,
      TSCOMPOSE_ENGINE_TRACE: trace,
      TSCOMPOSE_SUPERVISOR_MODE: opts.mode === 'foreground' ? 'foreground' : '',
    };
    const prof = opts['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', opts['cpu-prof']] : [];
    daemon = spawn(process.execPath, [...prof, ...args, 'engine', '--root', root, '--socket', socket], { stdio: 'ignore', env });
    await waitForEngine(socket);
    mustRun('docker', ['-H', `unix://${socket}`, 'build', '-q', '-t', IMAGE, ctx], { ...process.env, DOCKER_BUILDKIT: '0' });
    const docker = new Docker({ socketPath: socket });
    const clientMarks: { id: string; marks: Map<string, number> }[] = [];
    let cpuBefore: Map<string, Cpu> | undefined;
    const floorMs: number[] = [];
    const runMs: number[] = [];
    // one warm-up run each: the supervisor starts on the first container
    for (let i = -1; i < runs; i++) {
      const f = await floor();
      const marks = new Map<string, number>();
      const t0 = now();
      marks.set('client.create-sent', t0);
      const c = await docker.createContainer({ Image: IMAGE, Cmd: ['true'], HostConfig: { AutoRemove: true, NetworkMode: opts.network } });
      marks.set('client.created', now());
      const removed = c.wait({ condition: 'removed' });
      await c.start();
      marks.set('client.started', now());
      const { StatusCode } = await removed;
      const t1 = now();
      marks.set('client.removed', t1);
      if (StatusCode !== 0) throw new Error(`exit code ${StatusCode}`);
      if (i < 0) {
        cpuBefore = engineSideCpu(daemon.pid!);
        continue;
      }
      floorMs.push(f);
      runMs.push(t1 - t0);
      clientMarks.push({ id: c.id.slice(0, 12), marks });
    }
    // what the last exit's background work (runtime cleanup) costs is counted too
    await new Promise((r) => setTimeout(r, 1000));
    const cpuAfter = engineSideCpu(daemon.pid!);
    const traced = moments(readFileSync(trace, 'utf8'));
    const offsets = new Map<string, number[]>();
    for (const { id, marks } of clientMarks) {
      const t0 = marks.get('client.create-sent')!;
      const all = new Map([...marks, ...(traced.get(id) ?? [])]);
      for (const [name, at] of all) {
        if (!offsets.has(name)) offsets.set(name, []);
        offsets.get(name)!.push(at - t0);
      }
    }
    const rows = [...offsets].map(([name, xs]) => ({ name, ms: median(xs), n: xs.length })).sort((a, b) => a.ms - b.ms);
    const ratios = runMs.map((ms, i) => ms / floorMs[i]!);
    process.stdout.write(
      `mode ${opts.mode}, network ${opts.network}, ${runs} runs: run --rm median ${median(runMs).toFixed(1)} ms, ` +
        `runc run median ${median(floorMs).toFixed(1)} ms, paired ratio ${median(ratios).toFixed(2)}×\n\n` +
        `| moment (offset from create sent, median) | ms | runs |\n|---|---:|---:|\n` +
        rows.map((r) => `| ${r.name} | ${r.ms.toFixed(1)} | ${r.n} |`).join('\n') +
        '\n\n| process | CPU ms per run | of processes it reaped, ms per run |\n|---|---:|---:|\n' +
        [...cpuAfter]
          .map(([name, a]) => {
            const b = cpuBefore?.get(name) ?? { self: 0, reaped: 0 };
            return `| ${name} | ${((a.self - b.self) / runs).toFixed(1)} | ${((a.reaped - b.reaped) / runs).toFixed(1)} |`;
          })
          .join('\n') +
        '\n',
    );
  } finally {
    shell.close();
    if (daemon) {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon!.once('exit', r));
    }
    spawnSync('umount', ['-R', root], { stdio: 'ignore' });
    if (!opts.root) rmSync(dir, { recursive: true, force: true });
    rmSync(ctx, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
