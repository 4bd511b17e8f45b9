// `npm run bench:engine-timeline [-- --mode reaper|foreground] [--runs N] [--network none|default]`: where the
// milliseconds of `run --rm true` through dockerode go on the bundled engine. The engine runs with
// TSCOMPOSE_ENGINE_TRACE, so the engine, the supervisor and the reaper write their moments (wall clock) to one
// file; the client adds its own (create sent, created, started, removal answered). Each moment is given as its
// offset from the client's create, median over the runs, beside bare `runc run` timed in the same rounds.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
    const dist = path.join(repo, 'dist', 'cli', 'main.js');
    const args = existsSync(dist) ? [dist] : ['--import', 'tsx', path.join(repo, 'src', 'cli', 'main.ts')];
    const env = {
      ...process.env,
      TSCOMPOSE_ENGINE_TRACE: trace,
      TSCOMPOSE_SUPERVISOR_MODE: opts.mode === 'foreground' ? 'foreground' : '',
    };
    daemon = spawn(process.execPath, [...args, 'engine', '--root', root, '--socket', socket], { stdio: 'ignore', env });
    await waitForEngine(socket);
    mustRun('docker', ['-H', `unix://${socket}`, 'build', '-q', '-t', IMAGE, ctx], { ...process.env, DOCKER_BUILDKIT: '0' });
    const docker = new Docker({ socketPath: socket });
    const clientMarks: { id: string; marks: Map<string, number> }[] = [];
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
      if (i < 0) continue;
      floorMs.push(f);
      runMs.push(t1 - t0);
      clientMarks.push({ id: c.id.slice(0, 12), marks });
    }
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
