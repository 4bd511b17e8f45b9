// `npm run bench:exec`: `docker exec <container> true` latency on the bundled engine next to Docker Engine
// (dockerd), through the docker CLI (what a user waits for) and through dockerode (create, start attached,
// inspect: the engine's part without the CLI's start-up), with `runc exec` of the same container as the
// floor (what the runtime alone costs). All cases run in turn, BENCH_EXEC_RUNS rounds (20); medians, and
// each case's ratio to its peer's run of the same round, median over the rounds.
// BENCH_EXEC_BASELINE=<another checkout>/dist/cli/main.js adds that build's engine (before/after).
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { ensureDockerd } from '../test/helpers/dockerd.js';
import { busyboxContext } from '../test/helpers/busybox-image.js';
import { BenchSkipped, markdownTable, ShellTimer, timeInterleaved, type BenchRow, type Timing } from './lib.js';
import { mustRun, startDaemon } from './engine-common.js';

const RUNS = Number(process.env.BENCH_EXEC_RUNS) || 20;
const IMAGE = 'tsc-bench/busybox:latest';

interface Target {
  /** the docker CLI's flags that reach it */
  host: string[];
  docker: Docker;
  /** the container the execs run in */
  id: string;
}

/** A running `sleep` container on the engine the CLI flags reach (the image built there first). */
async function prepareTarget(host: string[], docker: Docker, ctx: string): Promise<Target> {
  mustRun('docker', [...host, 'build', '-q', '-t', IMAGE, ctx], { ...process.env, DOCKER_BUILDKIT: '0' });
  const c = await docker.createContainer({ Image: IMAGE, Cmd: ['sleep', '3600'], name: `tsc-bench-exec-${process.pid}` });
  await c.start();
  return { host, docker, id: c.id };
}

/** `docker exec` through dockerode as the CLI does it: create, start attached (until the stream ends), inspect. */
const viaApi = (t: Target) => async () => {
  const exec = await t.docker.getContainer(t.id).exec({ Cmd: ['true'], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
    stream.resume();
  });
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0) throw new Error(`exec exit code ${ExitCode}`);
};

/** The median over rounds of (x's run ÷ peer's run of the same round). */
function paired(x: Timing, peer: Timing): number {
  const r = x.samplesMs.map((ms, i) => ms / peer.samplesMs[i]!).sort((a, b) => a - b);
  return r[Math.floor(r.length / 2)]!;
}

export async function runExecBench(): Promise<BenchRow[]> {
  if (!(await ensureDockerd())) throw new BenchSkipped('dockerd, the peer, is not available');
  const dir = mkdtempSync('/tmp/tsc-bench-exec-');
  const ctx = busyboxContext();
  const shell = new ShellTimer();
  const daemons: { child: ChildProcess; root: string }[] = [];
  const targets: Target[] = [];
  try {
    const bundled = await startDaemon(dir, { name: 'bundled' });
    daemons.push(bundled);
    const ours = await prepareTarget(['-H', `unix://${bundled.socket}`], new Docker({ socketPath: bundled.socket }), ctx);
    targets.push(ours);
    const baselineMain = process.env.BENCH_EXEC_BASELINE;
    let base: Target | undefined;
    if (baselineMain) {
      const d = await startDaemon(dir, { name: 'baseline', main: baselineMain });
      daemons.push(d);
      base = await prepareTarget(['-H', `unix://${d.socket}`], new Docker({ socketPath: d.socket }), ctx);
      targets.push(base);
    }
    const peer = await prepareTarget([], new Docker({ socketPath: '/var/run/docker.sock' }), ctx);
    targets.push(peer);
    const cli = (t: Target) => () => shell.time('docker', [...t.host, 'exec', t.id, 'true']);
    const none = () => {};
    // one run of each case per round: the floor and the peer are measured under the same load as the engine
    const t = await timeInterleaved(
      {
        floor: () => shell.time('runc', ['--root', path.join(bundled.root, 'runc'), 'exec', ours.id, 'true']),
        oursCli: cli(ours),
        peerCli: cli(peer),
        oursApi: viaApi(ours),
        peerApi: viaApi(peer),
        baseCli: base ? cli(base) : none,
        baseApi: base ? viaApi(base) : none,
      },
      RUNS,
    );
    const row = (tool: string, x: Timing, peerName: string, p: Timing): BenchRow => ({
      case: 'exec true',
      tool,
      medianMs: x.medianMs,
      spreadMs: x.spreadMs,
      peer: peerName,
      peerMedianMs: p.medianMs,
      pairedRatio: paired(x, p),
    });
    const floorName = 'runc exec, the same container (floor)';
    const rows: BenchRow[] = [
      { case: 'exec true', tool: floorName, medianMs: t.floor.medianMs, spreadMs: t.floor.spreadMs },
      row('tscompose engine via docker CLI', t.oursCli, 'dockerd via docker CLI', t.peerCli),
      row('tscompose engine via dockerode', t.oursApi, 'dockerd via dockerode', t.peerApi),
      row('tscompose engine via dockerode', t.oursApi, floorName, t.floor),
      row('dockerd via dockerode', t.peerApi, floorName, t.floor),
    ];
    if (base)
      rows.push(
        row('tscompose engine via docker CLI', t.oursCli, 'baseline engine via docker CLI', t.baseCli),
        row('tscompose engine via dockerode', t.oursApi, 'baseline engine via dockerode', t.baseApi),
      );
    return rows;
  } finally {
    shell.close();
    for (const t of targets)
      await t.docker
        .getContainer(t.id)
        .remove({ force: true })
        .catch(() => {});
    spawnSync('docker', ['rmi', '-f', IMAGE], { stdio: 'ignore' });
    for (const d of daemons) {
      d.child.kill('SIGTERM');
      await new Promise((r) => (d.child.exitCode !== null ? r(undefined) : d.child.once('exit', r)));
      spawnSync('umount', ['-R', d.root], { stdio: 'ignore' });
    }
    rmSync(dir, { recursive: true, force: true });
    rmSync(ctx, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && !process.env.TSCOMPOSE_BENCH_AGGREGATE) {
  const rows = await runExecBench();
  process.stdout.write(markdownTable(rows));
  process.exit(0);
}
