// `npm run bench:engine`: `run --rm IMAGE true` latency through the bundled engine, with containers launched
// under the reaper (the default) and with the runtime in the foreground (TSCOMPOSE_SUPERVISOR_MODE=foreground),
// through dockerode (default network, --network none, and --security-opt seccomp=unconfined: the same filter as
// the first floor, none) and the docker CLI, next to floors: `runc run` of a `runc spec` bundle (the issue's
// floor), of that bundle with Docker's default seccomp profile added (runc compiles the filter, for three
// architectures, on every run), and of the very bundle the engine writes (its overlay root, Docker's seccomp
// profile, masked paths, cgroup: what runc alone costs for the same container); and
// `docker run --rm` on dockerd (CLI and dockerode) when it runs. All cases run in turn, BENCH_ENGINE_RUNS
// rounds (20); medians, and each case's ratio to a floor's run of the same round, median over the rounds.
// BENCH_ENGINE_BASELINE=<another checkout>/dist/cli/main.js adds that build's engine in both modes (before/after).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { ensureDockerd } from '../test/helpers/dockerd.js';
import { busyboxContext } from '../test/helpers/busybox-image.js';
import { markdownTable, ShellTimer, timeInterleaved, type BenchRow, type Timing } from './lib.js';
import { mustRun, prepareRuncFloor, waitForEngine } from './engine-common.js';

const RUNS = Number(process.env.BENCH_ENGINE_RUNS) || 20;
const IMAGE = 'tsc-bench/busybox:latest';
const repo = path.resolve(fileURLToPath(new URL('..', import.meta.url)));

interface BenchEngine {
  child: ChildProcess;
  socket: string;
  root: string;
  docker: Docker;
}

async function startEngine(dir: string, name: string, mode: 'reaper' | 'foreground', main?: string): Promise<BenchEngine> {
  const socket = path.join(dir, `${name}.sock`);
  const root = path.join(dir, name);
  const dist = path.join(repo, 'dist', 'cli', 'main.js');
  const args = main ? [main] : existsSync(dist) ? [dist] : ['--import', 'tsx', path.join(repo, 'src', 'cli', 'main.ts')];
  const env = { ...process.env, TSCOMPOSE_SUPERVISOR_MODE: mode === 'foreground' ? 'foreground' : '' };
  const child = spawn(process.execPath, [...args, 'engine', '--root', root, '--socket', socket], { stdio: 'ignore', env });
  try {
    await waitForEngine(socket);
  } catch (err) {
    child.kill();
    throw err;
  }
  mustRun('docker', ['-H', `unix://${socket}`, 'build', '-q', '-t', IMAGE, ctxDir!], { ...process.env, DOCKER_BUILDKIT: '0' });
  return { child, socket, root, docker: new Docker({ socketPath: socket }) };
}

let ctxDir: string | undefined;

/** `run --rm` through dockerode as `docker run --rm` does it: create, wait for the removal, start. */
const viaApi = (docker: Docker, networkMode: string, securityOpt?: string[]) => async () => {
  const c = await docker.createContainer({
    Image: IMAGE,
    Cmd: ['true'],
    HostConfig: { AutoRemove: true, NetworkMode: networkMode, ...(securityOpt ? { SecurityOpt: securityOpt } : {}) },
  });
  const removed = c.wait({ condition: 'removed' });
  await c.start();
  const { StatusCode } = await removed;
  if (StatusCode !== 0) throw new Error(`exit code ${StatusCode}`);
};

/** The second floor: `runc run` of the bundle the engine writes for `true` with --network none (a network
 *  namespace of its own, as in `runc spec`), its overlay's upper layer and its /etc files copied here. */
async function prepareEngineBundleFloor(
  dir: string,
  engine: BenchEngine,
  shell: ShellTimer,
): Promise<{ sameBundle: () => Promise<number>; floorWithSeccomp: () => Promise<number> }> {
  const c = await engine.docker.createContainer({ Image: IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
  await c.start();
  await c.wait();
  const ctrDir = path.join(engine.root, 'containers', c.id);
  const spec = JSON.parse(readFileSync(path.join(ctrDir, 'bundle', 'config.json'), 'utf8'));
  await c.remove();
  const bundle = path.join(dir, 'engine-bundle');
  for (const d of ['rootfs', 'upper', 'work', 'etc']) mkdirSync(path.join(bundle, d), { recursive: true });
  spec.root.path = path.join(bundle, 'rootfs');
  for (const m of spec.mounts as { destination: string; source: string; options?: string[] }[]) {
    if (m.destination === '/')
      m.options = m.options!.map((o) =>
        o.startsWith('upperdir=') ? `upperdir=${bundle}/upper` : o.startsWith('workdir=') ? `workdir=${bundle}/work` : o,
      );
    if (m.source.startsWith(ctrDir)) {
      const copy = path.join(bundle, 'etc', path.basename(m.source));
      writeFileSync(copy, existsSync(m.source) ? readFileSync(m.source) : '');
      m.source = copy;
    }
  }
  spec.linux.cgroupsPath = `/tscompose/tsc-bench-floor-${process.pid}`;
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
  const root = path.join(dir, 'runc-root');
  // the runc spec floor's bundle with only the engine's seccomp filter (Docker's default profile) added:
  // what runc alone spends on that filter
  const seccompBundle = path.join(dir, 'bundle-seccomp');
  mkdirSync(seccompBundle);
  const floorSpec = JSON.parse(readFileSync(path.join(dir, 'bundle', 'config.json'), 'utf8'));
  floorSpec.root.path = path.join(dir, 'bundle', 'rootfs');
  floorSpec.linux.seccomp = spec.linux.seccomp;
  writeFileSync(path.join(seccompBundle, 'config.json'), JSON.stringify(floorSpec));
  return {
    sameBundle: () => shell.time('runc', ['--root', root, 'run', '--bundle', bundle, 'tsc-bench-floor-same']),
    floorWithSeccomp: () => shell.time('runc', ['--root', root, 'run', '--bundle', seccompBundle, 'tsc-bench-floor-seccomp']),
  };
}

async function stopEngine(e: BenchEngine): Promise<void> {
  e.child.kill('SIGTERM');
  await new Promise((r) => (e.child.exitCode !== null ? r(undefined) : e.child.once('exit', r)));
  spawnSync('umount', ['-R', e.root], { stdio: 'ignore' });
}

export async function runEngineBench(): Promise<BenchRow[]> {
  const dir = mkdtempSync('/tmp/tsc-bench-engine-');
  ctxDir = busyboxContext();
  const engines: BenchEngine[] = [];
  const shell = new ShellTimer();
  try {
    const floorRun = prepareRuncFloor(dir, shell);
    const reaper = await startEngine(dir, 'reaper', 'reaper');
    engines.push(reaper);
    const foreground = await startEngine(dir, 'foreground', 'foreground');
    engines.push(foreground);
    const baselineMain = process.env.BENCH_ENGINE_BASELINE;
    const baseline = baselineMain
      ? [
          await startEngine(dir, 'base-reaper', 'reaper', baselineMain),
          await startEngine(dir, 'base-foreground', 'foreground', baselineMain),
        ]
      : [];
    engines.push(...baseline);
    const { sameBundle: sameBundleRun, floorWithSeccomp } = await prepareEngineBundleFloor(dir, reaper, shell);
    const host = ['-H', `unix://${reaper.socket}`];
    const dockerd = await ensureDockerd();
    if (dockerd) mustRun('docker', ['build', '-q', '-t', IMAGE, ctxDir], { ...process.env, DOCKER_BUILDKIT: '0' });
    const dockerdApi = new Docker({ socketPath: '/var/run/docker.sock' });
    const none = () => {};
    // one run of each case per round: the floors are measured under the same load as the engines
    const t = await timeInterleaved(
      {
        floor: floorRun,
        sameBundle: sameBundleRun,
        floorSeccomp: floorWithSeccomp,
        reaperDefault: viaApi(reaper.docker, 'default'),
        reaperNone: viaApi(reaper.docker, 'none'),
        // the runc spec floor has no seccomp filter: this is the engine doing the same work as that floor
        reaperUnconfined: viaApi(reaper.docker, 'default', ['seccomp=unconfined']),
        foregroundDefault: viaApi(foreground.docker, 'default'),
        foregroundNone: viaApi(foreground.docker, 'none'),
        baseReaperDefault: baseline[0] ? viaApi(baseline[0].docker, 'default') : none,
        baseForegroundDefault: baseline[1] ? viaApi(baseline[1].docker, 'default') : none,
        cliDefault: () => shell.time('docker', [...host, 'run', '--rm', IMAGE, 'true']),
        // what the docker CLI costs by itself: its start-up and one request
        cliAlone: () => shell.time('docker', [...host, 'version']),
        dockerdCli: dockerd ? () => shell.time('docker', ['run', '--rm', IMAGE, 'true']) : none,
        dockerdApi: dockerd ? viaApi(dockerdApi, 'default') : none,
      },
      RUNS,
    );
    // the ratio of each round's run to the floor's run of the same round, median over the rounds: what the
    // machine's load did to both cancels out round by round
    const paired = (x: Timing, floor: Timing) => {
      const r = x.samplesMs.map((ms, i) => ms / floor.samplesMs[i]!).sort((a, b) => a - b);
      return r[Math.floor(r.length / 2)]!;
    };
    const against =
      (floor: Timing, peer: string) =>
      (c: string, tool: string, x: Timing): BenchRow => ({
        case: c,
        tool,
        medianMs: x.medianMs,
        spreadMs: x.spreadMs,
        peer,
        peerMedianMs: floor.medianMs,
        pairedRatio: paired(x, floor),
      });
    const vsFloor = against(t.floor, 'runc run (bare OCI runtime, runc spec bundle)');
    const vsSame = against(t.sameBundle, "runc run of the engine's own bundle");
    const rows: BenchRow[] = [
      { case: 'runc run true', tool: 'runc, runc spec bundle (floor)', medianMs: t.floor.medianMs, spreadMs: t.floor.spreadMs },
      vsFloor('runc run true', "runc, runc spec bundle + Docker's default seccomp profile", t.floorSeccomp),
      vsFloor('runc run true', "runc, the engine's bundle (seccomp, masks, overlay)", t.sameBundle),
    ];
    const engineCases: [string, string, Timing][] = [
      ['run --rm true', 'tscompose engine (reaper) via dockerode', t.reaperDefault],
      ['run --rm --network none true', 'tscompose engine (reaper) via dockerode', t.reaperNone],
      ['run --rm --security-opt seccomp=unconfined true', 'tscompose engine (reaper) via dockerode', t.reaperUnconfined],
      ['run --rm true', 'tscompose engine (foreground runtime) via dockerode', t.foregroundDefault],
      ['run --rm --network none true', 'tscompose engine (foreground runtime) via dockerode', t.foregroundNone],
      ...(baseline.length
        ? ([
            ['run --rm true', 'baseline engine (reaper) via dockerode', t.baseReaperDefault],
            ['run --rm true', 'baseline engine (foreground runtime) via dockerode', t.baseForegroundDefault],
          ] as [string, string, Timing][])
        : []),
      ['run --rm true', 'tscompose engine (reaper) via docker CLI', t.cliDefault],
      ...(dockerd
        ? ([
            ['run --rm true', 'dockerd via dockerode', t.dockerdApi],
            ['run --rm true', 'dockerd via docker CLI', t.dockerdCli],
          ] as [string, string, Timing][])
        : []),
    ];
    for (const [c, tool, x] of engineCases) rows.push(vsFloor(c, tool, x), vsSame(c, tool, x));
    rows.push({
      case: 'docker version (the CLI alone)',
      tool: 'docker CLI → tscompose engine',
      medianMs: t.cliAlone.medianMs,
      spreadMs: t.cliAlone.spreadMs,
    });
    if (dockerd) spawnSync('docker', ['rmi', '-f', IMAGE], { stdio: 'ignore' });
    return rows;
  } finally {
    shell.close();
    for (const e of engines) await stopEngine(e);
    rmSync(dir, { recursive: true, force: true });
    rmSync(ctxDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && !process.env.TSCOMPOSE_BENCH_AGGREGATE) {
  const rows = await runEngineBench();
  process.stdout.write(markdownTable(rows));
  process.exit(0);
}
