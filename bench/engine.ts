// `npm run bench:engine`: `run --rm IMAGE true` latency through the bundled engine (docker CLI and
// dockerode, default network and --network none) next to the OCI runtime alone (`runc run` of a
// prepared bundle: the floor) and `docker run --rm` on dockerd when it runs. All cases run in turn,
// 20 rounds; medians, ratios to the floor.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { ensureDockerd } from '../test/helpers/dockerd.js';
import { busyboxContext } from '../test/helpers/busybox-image.js';
import { markdownTable, ShellTimer, timeInterleaved, type BenchRow } from './lib.js';

const RUNS = 20;
const IMAGE = 'tsc-bench/busybox:latest';
const repo = path.resolve(fileURLToPath(new URL('..', import.meta.url)));

function mustRun(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${r.stderr?.slice(0, 400)}`);
}

/** The floor: runc alone running `true` from a prepared bundle (busybox rootfs, `runc spec` config). */
function prepareRuncFloor(dir: string, shell: ShellTimer): () => Promise<number> {
  const bundle = path.join(dir, 'bundle');
  mkdirSync(path.join(bundle, 'rootfs', 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', path.join(bundle, 'rootfs', 'bin', 'busybox'));
  mustRun('runc', ['spec', '--bundle', bundle]);
  const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['/bin/busybox', 'true'];
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
  const root = path.join(dir, 'runc-root');
  return () => shell.time('runc', ['--root', root, 'run', '--bundle', bundle, 'tsc-bench-floor']);
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
  });
}

export async function startDaemon(dir: string): Promise<{ child: ChildProcess; socket: string }> {
  const socket = path.join(dir, 'engine.sock');
  const dist = path.join(repo, 'dist', 'cli', 'main.js');
  const args = existsSync(dist) ? [dist] : ['--import', 'tsx', path.join(repo, 'src', 'cli', 'main.ts')];
  const child = spawn(process.execPath, [...args, 'engine', '--root', path.join(dir, 'state'), '--socket', socket], { stdio: 'ignore' });
  for (let i = 0; i < 300; i++) {
    if (await ping(socket)) return { child, socket };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('the bundled engine did not start');
}

export async function runEngineBench(): Promise<BenchRow[]> {
  const dir = mkdtempSync('/tmp/tsc-bench-engine-');
  const ctx = busyboxContext();
  let daemon: ChildProcess | undefined;
  const shell = new ShellTimer();
  try {
    const floorRun = prepareRuncFloor(dir, shell);
    const { child, socket } = await startDaemon(dir);
    daemon = child;
    const host = ['-H', `unix://${socket}`];
    mustRun('docker', [...host, 'build', '-q', '-t', IMAGE, ctx], { ...process.env, DOCKER_BUILDKIT: '0' });
    const docker = new Docker({ socketPath: socket });
    const viaApi = (networkMode: string) => async () => {
      const c = await docker.createContainer({ Image: IMAGE, Cmd: ['true'], HostConfig: { AutoRemove: true, NetworkMode: networkMode } });
      const removed = c.wait({ condition: 'removed' });
      await c.start();
      const { StatusCode } = await removed;
      if (StatusCode !== 0) throw new Error(`exit code ${StatusCode}`);
    };
    const dockerd = await ensureDockerd();
    if (dockerd) mustRun('docker', ['build', '-q', '-t', IMAGE, ctx], { ...process.env, DOCKER_BUILDKIT: '0' });
    // one run of each case per round: the floor is measured under the same load as the engine
    const t = await timeInterleaved(
      {
        floor: floorRun,
        cliDefault: () => shell.time('docker', [...host, 'run', '--rm', IMAGE, 'true']),
        cliNone: () => shell.time('docker', [...host, 'run', '--rm', '--network', 'none', IMAGE, 'true']),
        apiDefault: viaApi('default'),
        apiNone: viaApi('none'),
        // what the docker CLI costs by itself: its start-up and one request
        cliAlone: () => shell.time('docker', [...host, 'version']),
        dockerd: dockerd ? () => shell.time('docker', ['run', '--rm', IMAGE, 'true']) : () => {},
      },
      RUNS,
    );
    const withFloor = (c: string, tool: string, x: { medianMs: number; spreadMs: number }): BenchRow => ({
      case: c,
      tool,
      medianMs: x.medianMs,
      spreadMs: x.spreadMs,
      peer: 'runc run (bare OCI runtime)',
      peerMedianMs: t.floor.medianMs,
    });
    const rows: BenchRow[] = [
      withFloor('run --rm true', 'tscompose engine via docker CLI', t.cliDefault),
      withFloor('run --rm --network none true', 'tscompose engine via docker CLI', t.cliNone),
      withFloor('run --rm true', 'tscompose engine via dockerode', t.apiDefault),
      withFloor('run --rm --network none true', 'tscompose engine via dockerode', t.apiNone),
      { case: 'runc run true', tool: 'runc (floor)', medianMs: t.floor.medianMs, spreadMs: t.floor.spreadMs },
      {
        case: 'docker version (the CLI alone)',
        tool: 'docker CLI → tscompose engine',
        medianMs: t.cliAlone.medianMs,
        spreadMs: t.cliAlone.spreadMs,
      },
    ];
    // the ratio of each round's run to the floor's run of the same round, median over the rounds: what the
    // machine's load did to both cancels out round by round
    const paired = (k: keyof typeof t) => {
      const r = t[k].samplesMs.map((ms, i) => ms / t.floor.samplesMs[i]!).sort((a, b) => a - b);
      return r[Math.floor(r.length / 2)]!;
    };
    for (const [row, k] of [
      [rows[0]!, 'cliDefault'],
      [rows[1]!, 'cliNone'],
      [rows[2]!, 'apiDefault'],
      [rows[3]!, 'apiNone'],
    ] as const)
      row.pairedRatio = paired(k);
    if (dockerd) {
      rows.push({ ...withFloor('run --rm true', 'dockerd 20.10 via docker CLI', t.dockerd), pairedRatio: paired('dockerd') });
      spawnSync('docker', ['rmi', '-f', IMAGE], { stdio: 'ignore' });
    }
    return rows;
  } finally {
    shell.close();
    if (daemon) {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon!.once('exit', r));
    }
    spawnSync('umount', ['-R', path.join(dir, 'state')], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
    rmSync(ctx, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && !process.env.TSCOMPOSE_BENCH_AGGREGATE) {
  const rows = await runEngineBench();
  process.stdout.write(markdownTable(rows));
  process.exit(0);
}
