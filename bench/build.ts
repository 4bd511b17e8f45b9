// `npm run bench` case "image build": `docker build` of a small busybox context (COPY + RUN steps)
// through the same docker CLI, on the bundled engine and on Debian's dockerd (classic builder on
// both): cold (--no-cache) and with a warm layer cache (the same build again).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyboxContext } from '../test/helpers/busybox-image.js';
import { ensureDockerd } from '../test/helpers/dockerd.js';
import { timeCommand, which, type BenchRow, type Timing } from './lib.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COLD_RUNS = 3;
const WARM_RUNS = 5;

interface Target {
  tool: string;
  host: string;
  stop(): void;
}

function startBundled(): Promise<Target | undefined> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tsc-bench-build-'));
  const socket = path.join(root, 'engine.sock');
  const built = path.join(repo, 'dist/cli/main.js');
  const cli = existsSync(built) ? [built] : ['--import', 'tsx', path.join(repo, 'src/cli/main.ts')];
  const log = openSync(path.join(root, 'daemon.log'), 'a');
  const daemon: ChildProcess = spawn(process.execPath, [...cli, 'engine', '--root', path.join(root, 'state'), '--socket', socket], {
    stdio: ['ignore', log, log],
    cwd: repo,
  });
  const stop = () => {
    daemon.kill('SIGTERM');
    spawnSync('sleep', ['1']);
    if (daemon.exitCode === null) daemon.kill('SIGKILL');
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4])
      .filter((m) => m?.startsWith(root));
    for (const m of mounts.reverse()) spawnSync('umount', ['-l', m!]);
    rmSync(root, { recursive: true, force: true });
  };
  return new Promise((resolve) => {
    const end = Date.now() + 30_000;
    const poll = () => {
      if (spawnSync('docker', ['-H', `unix://${socket}`, 'version'], { stdio: 'ignore' }).status === 0)
        return resolve({ tool: 'tscompose (bundled engine)', host: `unix://${socket}`, stop });
      if (Date.now() > end || daemon.exitCode !== null) {
        stop();
        return resolve(undefined);
      }
      setTimeout(poll, 300);
    };
    poll();
  });
}

async function measure(target: Target, context: string): Promise<{ cold: Timing; warm: Timing }> {
  const tag = `tsc-bench-build-${process.pid}:latest`;
  const env = { ...process.env, DOCKER_BUILDKIT: '0', DOCKER_HOST: target.host };
  const build = (extra: string[], runs: number) => timeCommand('docker', ['build', '-q', ...extra, '-t', tag, context], { env, runs });
  try {
    const cold = await build(['--no-cache'], COLD_RUNS);
    await build([], 1); // fills the cache
    const warm = await build([], WARM_RUNS);
    return { cold, warm };
  } finally {
    spawnSync('docker', ['rmi', '-f', tag], { env, stdio: 'ignore' });
  }
}

export async function runBuildBench(log: (line: string) => void = () => {}): Promise<BenchRow[]> {
  if (!which('docker')) throw new Error('the docker CLI is needed to drive both engines');
  const context = busyboxContext([
    'RUN ["/bin/sh", "-c", "mkdir -p /www && echo hello > /www/index.html"]',
    'ENV GREETING=hello',
    'WORKDIR /www',
    'RUN ["/bin/sh", "-c", "ls -l > listing.txt"]',
  ]);
  const rows: BenchRow[] = [];
  try {
    const results: Record<string, { cold: Timing; warm: Timing }> = {};
    const bundled = await startBundled();
    if (bundled) {
      try {
        results[bundled.tool] = await measure(bundled, context);
      } finally {
        bundled.stop();
      }
    } else log('build bench: the bundled engine did not start');
    if (await ensureDockerd())
      results['docker build (dockerd 20.10)'] = await measure({ tool: 'dockerd', host: 'unix:///var/run/docker.sock', stop() {} }, context);
    else log('build bench: dockerd is not available');
    const peerName = 'docker build (dockerd 20.10)';
    const peer = results[peerName];
    for (const [tool, r] of Object.entries(results)) {
      const isPeer = tool === peerName;
      for (const which of ['cold', 'warm'] as const) {
        rows.push({
          case: which === 'cold' ? 'build busybox context, --no-cache' : 'build busybox context, warm cache',
          tool,
          medianMs: r[which].medianMs,
          spreadMs: r[which].spreadMs,
          ...(!isPeer && peer ? { peer: peerName, peerMedianMs: peer[which].medianMs } : {}),
        });
      }
    }
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && !process.env.TSCOMPOSE_BENCH_AGGREGATE) {
  const rows = await runBuildBench((l) => process.stderr.write(`${l}\n`));
  const { markdownTable } = await import('./lib.js');
  process.stdout.write(markdownTable(rows));
  process.exit(0);
}
