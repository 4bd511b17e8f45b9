// `npm run bench:logs`: a chatty container (400,000 lines, about 22 MB of output) run to its end through the
// bundled engine and through dockerd, side by side in rounds: json-file without rotation, and rotated at 1 MB
// keeping 3 files, gzipped. What is timed is the container's run with the engine logging its output (create,
// start, wait for the exit, the log written), not a client reading it. Medians, paired ratios to dockerd.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { ensureDockerd } from '../test/helpers/dockerd.js';
import { busyboxContext } from '../test/helpers/busybox-image.js';
import { startDaemon } from './engine-common.js';
import { BenchSkipped, markdownTable, timeInterleaved, type BenchRow } from './lib.js';

const RUNS = 7;
const IMAGE = 'tsc-bench/busybox-logs:latest';
const CHATTY = ['sh', '-c', 'yes line-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx | head -n 400000'];
const CASES = {
  plain: { 'max-size': '100m' },
  rotated: { 'max-size': '1m', 'max-file': '3', compress: 'true' },
};

const chattyRun = (docker: Docker, config: Record<string, string>) => async () => {
  const c = await docker.createContainer({
    Image: IMAGE,
    Cmd: CHATTY,
    HostConfig: { NetworkMode: 'none', LogConfig: { Type: 'json-file', Config: config } },
  });
  await c.start();
  const { StatusCode } = await c.wait();
  await c.remove();
  if (StatusCode !== 0) throw new Error(`exit code ${StatusCode}`);
};

function build(host: string[], ctx: string): void {
  const r = spawnSync('docker', [...host, 'build', '-q', '-t', IMAGE, ctx], {
    encoding: 'utf8',
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
  });
  if (r.status !== 0) throw new Error(`docker build: ${r.stderr}`);
}

export async function runLogsBench(): Promise<BenchRow[]> {
  if (!(await ensureDockerd())) throw new BenchSkipped('dockerd, the peer, is not available');
  const dir = mkdtempSync('/tmp/tsc-bench-logs-');
  const ctx = busyboxContext();
  let daemon: ChildProcess | undefined;
  try {
    const { child, socket } = await startDaemon(dir);
    daemon = child;
    build(['-H', `unix://${socket}`], ctx);
    build([], ctx);
    const bundled = new Docker({ socketPath: socket });
    const dockerd = new Docker();
    const t = await timeInterleaved(
      {
        bundledPlain: chattyRun(bundled, CASES.plain),
        dockerdPlain: chattyRun(dockerd, CASES.plain),
        bundledRotated: chattyRun(bundled, CASES.rotated),
        dockerdRotated: chattyRun(dockerd, CASES.rotated),
      },
      RUNS,
    );
    const paired = (a: keyof typeof t, b: keyof typeof t) => {
      const r = t[a].samplesMs.map((ms, i) => ms / t[b].samplesMs[i]!).sort((x, y) => x - y);
      return r[Math.floor(r.length / 2)]!;
    };
    const row = (what: string, a: keyof typeof t, b: keyof typeof t): BenchRow => ({
      case: what,
      tool: 'tscompose engine',
      medianMs: t[a].medianMs,
      spreadMs: t[a].spreadMs,
      peer: 'dockerd 20.10',
      peerMedianMs: t[b].medianMs,
      pairedRatio: paired(a, b),
    });
    return [
      row('400k log lines (22 MB), json-file, no rotation', 'bundledPlain', 'dockerdPlain'),
      row('400k log lines (22 MB), json-file max-size=1m max-file=3 compress', 'bundledRotated', 'dockerdRotated'),
    ];
  } finally {
    if (daemon) {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon!.once('exit', r));
    }
    spawnSync('docker', ['rmi', '-f', IMAGE], { stdio: 'ignore' });
    spawnSync('umount', ['-R', path.join(dir, 'state')], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
    rmSync(ctx, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && !process.env.TSCOMPOSE_BENCH_AGGREGATE) {
  const rows = await runLogsBench();
  process.stdout.write(markdownTable(rows));
  process.exit(0);
}
