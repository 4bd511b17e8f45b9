// `npm run bench:big-image`: a real ~600 MB, ~30k-file Debian image (debootstrap minbase + postgresql +
// python3, one layer) through the bundled engine next to dockerd, interleaved round by round:
// - `docker import` of the rootfs tar, `docker load` of a `docker save` of it,
// - pull from Debian's docker-registry on 127.0.0.1 (the layer as `docker push` compressed it),
// - first `up -d` of a one-service stack using the registry image (pull, create, start), tscompose on the
//   bundled engine vs docker-compose v1 on dockerd (tscompose --engine docker when v1 is absent).
// Each timed run starts with the image absent from both engines (removed, untimed, after every run).
// The image is made once and cached under /var/cache/tscompose-bench (TSCOMPOSE_BENCH_CACHE): debootstrap
// (scripts/debian-rootfs.sh) from the apt mirror in /etc/apt/sources.list*, ~2 min on a fresh machine; needs root, debootstrap,
// dockerd and docker-registry. Not part of `npm test`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDockerd } from '../test/helpers/dockerd.js';
import { startRegistry } from '../test/integration/images/registry.js';
import { markdownTable, ShellTimer, timeInterleaved, which, type BenchRow, type Timing } from './lib.js';
import { startDaemon } from './engine-common.js';

const repo = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const CACHE = process.env.TSCOMPOSE_BENCH_CACHE ?? '/var/cache/tscompose-bench';
const ROOTFS_TAR = path.join(CACHE, 'bookworm-pg.tar');
const SAVE_TAR = path.join(CACHE, 'bookworm-pg.save.tar');
const PACKAGES = 'postgresql,python3,python3-pip,perl,git,vim';
const RUNS = Number(process.env.BENCH_BIG_RUNS ?? 3);
const IMPORTED = 'tsc-bench-big:imported';
const log = (line: string) => process.stderr.write(`bench big-image: ${line}\n`);

function must(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; inherit?: boolean } = {}): string {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', opts.inherit ? 'inherit' : 'pipe'],
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${(r.stderr ?? '').slice(-600)}`);
  return r.stdout;
}
const quiet = (cmd: string, args: string[], env?: NodeJS.ProcessEnv) => spawnSync(cmd, args, { stdio: 'ignore', env: env ?? process.env });

/** The rootfs tar (made once by scripts/debian-rootfs.sh: debootstrap, then tar), its size. */
export function ensureRootfsTar(): { file: string; bytes: number } {
  if (!existsSync(ROOTFS_TAR)) {
    log(`debootstrap bookworm (+${PACKAGES}) into ${ROOTFS_TAR} (once, ~2 min) …`);
    must('sh', [path.join(repo, 'scripts', 'debian-rootfs.sh'), ROOTFS_TAR, PACKAGES]);
  }
  return { file: ROOTFS_TAR, bytes: statSync(ROOTFS_TAR).size };
}

export async function runBigImageBench(): Promise<BenchRow[]> {
  if (!(await ensureDockerd())) throw new Error('dockerd is not reachable');
  const { file: rootfs, bytes } = ensureRootfsTar();
  const files = Number(must('sh', ['-c', `tar -tf ${rootfs} | wc -l`]).trim());
  const label = `${(bytes / 1e6).toFixed(0)} MB, ${files} files`;
  // the image on dockerd, saved once (`docker save`), pushed to a fresh local registry
  must('docker', ['import', rootfs, IMPORTED]);
  if (!existsSync(SAVE_TAR)) {
    must('docker', ['save', '-o', `${SAVE_TAR}.tmp`, IMPORTED]);
    renameSync(`${SAVE_TAR}.tmp`, SAVE_TAR);
  }
  const reg = await startRegistry();
  const dir = mkdtempSync(path.join('/var/tmp', 'tsc-bench-big-'));
  const shell = new ShellTimer();
  let engine: Awaited<ReturnType<typeof startDaemon>> | undefined;
  const remote = `${reg.host}/bench/big:v1`;
  try {
    const only = process.env.BENCH_BIG_CASES?.split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    if (!only || only.some((c) => c === 'pull' || c === 'up')) {
      log('docker push to the local registry …');
      must('docker', ['tag', IMPORTED, remote]);
      must('docker', ['push', remote]);
    }
    quiet('docker', ['rmi', '-f', remote, IMPORTED]);
    engine = await startDaemon(dir);
    const ours = ['-H', `unix://${engine.socket}`];
    const oursEnv = { ...process.env, DOCKER_CONFIG: path.join(dir, 'docker-config') };
    const rmiOurs = (...refs: string[]) => quiet('docker', [...ours, 'rmi', '-f', ...refs], oursEnv);
    const rmiDocker = (...refs: string[]) => quiet('docker', ['rmi', '-f', ...refs]);

    const stack = path.join(dir, 'compose.yaml');
    writeFileSync(stack, `services:\n  db:\n    image: ${remote}\n    command: ["/bin/sleep", "3600"]\n    stop_signal: SIGKILL\n`);
    const cli = existsSync(path.join(repo, 'dist', 'cli', 'main.js'))
      ? [path.join(repo, 'dist', 'cli', 'main.js')]
      : ['--import', 'tsx', path.join(repo, 'src', 'cli', 'main.ts')];
    const v1 = which('docker-compose');
    const bundledEnv = { TSCOMPOSE_ENGINE_SOCKET: engine.socket, TSCOMPOSE_STATE_ROOT: engine.root, CI: '1' };
    const upOurs = () => shell.time(process.execPath, [...cli, '--engine', 'bundled', '-f', stack, '-p', 'tscbig', 'up', '-d'], bundledEnv);
    const downOurs = () => {
      quiet(process.execPath, [...cli, '--engine', 'bundled', '-f', stack, '-p', 'tscbig', 'down', '-t', '0'], {
        ...process.env,
        ...bundledEnv,
      });
      rmiOurs(remote);
    };
    const upPeer = () =>
      v1
        ? shell.time(v1, ['-f', stack, '-p', 'tscbigv1', 'up', '-d'])
        : shell.time(process.execPath, [...cli, '--engine', 'docker', '-f', stack, '-p', 'tscbigv1', 'up', '-d'], { CI: '1' });
    const downPeer = () => {
      quiet(
        v1 ?? process.execPath,
        v1
          ? ['-f', stack, '-p', 'tscbigv1', 'down', '-t', '0']
          : [...cli, '--engine', 'docker', '-f', stack, '-p', 'tscbigv1', 'down', '-t', '0'],
      );
      rmiDocker(remote);
    };
    downOurs();
    downPeer();

    const after = async <T>(fn: () => Promise<T>, cleanup: () => void): Promise<T> => {
      try {
        return await fn();
      } finally {
        cleanup();
      }
    };
    log(`${RUNS} interleaved rounds (import, load, pull, up; tscompose then docker) …`);
    const all: Record<string, () => Promise<number>> = {
      importOurs: () =>
        after(
          () => shell.time('docker', [...ours, 'import', rootfs, IMPORTED], oursEnv),
          () => rmiOurs(IMPORTED),
        ),
      importDocker: () =>
        after(
          () => shell.time('docker', ['import', rootfs, IMPORTED]),
          () => rmiDocker(IMPORTED),
        ),
      loadOurs: () =>
        after(
          () => shell.time('docker', [...ours, 'load', '-q', '-i', SAVE_TAR], oursEnv),
          () => rmiOurs(IMPORTED),
        ),
      loadDocker: () =>
        after(
          () => shell.time('docker', ['load', '-q', '-i', SAVE_TAR]),
          () => rmiDocker(IMPORTED),
        ),
      pullOurs: () =>
        after(
          () => shell.time('docker', [...ours, 'pull', '-q', remote], oursEnv),
          () => rmiOurs(remote),
        ),
      pullDocker: () =>
        after(
          () => shell.time('docker', ['pull', '-q', remote]),
          () => rmiDocker(remote),
        ),
      upOurs: () => after(upOurs, downOurs),
      upDocker: () => after(upPeer, downPeer),
    };
    // BENCH_BIG_CASES=import,pull: a subset (each case runs for tscompose and for docker)
    const picked = Object.fromEntries(Object.entries(all).filter(([k]) => !only || only.some((c) => k.startsWith(c))));
    const t = (await timeInterleaved(picked, RUNS)) as Record<string, Timing>;
    const peerName = (what: string) => `${what} (dockerd 20.10)`;
    const row = (c: string, tool: string, ourT: Timing, peer: string, peerT: Timing): BenchRow => ({
      case: c,
      tool,
      medianMs: ourT.medianMs,
      spreadMs: ourT.spreadMs,
      peer,
      peerMedianMs: peerT.medianMs,
      pairedRatio: median(ourT.samplesMs.map((s, i) => s / peerT.samplesMs[i]!)),
    });
    const rows: BenchRow[] = [];
    if (t.importOurs)
      rows.push(
        row(`docker import of a ${label} rootfs tar`, 'tscompose engine', t.importOurs, peerName('docker import'), t.importDocker!),
      );
    if (t.loadOurs)
      rows.push(row(`docker load of it (docker save archive)`, 'tscompose engine', t.loadOurs, peerName('docker load'), t.loadDocker!));
    if (t.pullOurs)
      rows.push(row(`pull of it, 1 gzip layer (local registry)`, 'tscompose engine', t.pullOurs, peerName('docker pull'), t.pullDocker!));
    if (t.upOurs)
      rows.push(
        row(
          `first up -d, 1 service on it (pull, create, start)`,
          'tscompose (bundled engine)',
          t.upOurs,
          v1 ? 'docker-compose v1 (dockerd)' : 'tscompose --engine docker',
          t.upDocker!,
        ),
      );
    return rows;
  } finally {
    shell.close();
    if (engine) {
      engine.child.kill('SIGTERM');
      await new Promise((r) => engine!.child.once('exit', r));
    }
    quiet('docker', ['rmi', '-f', remote, IMPORTED]);
    await reg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && !process.env.TSCOMPOSE_BENCH_AGGREGATE) {
  const rows = await runBigImageBench();
  process.stdout.write(markdownTable(rows));
  process.stdout.write(
    `\n(${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} load average at the end; ${RUNS} rounds)\n`,
  );
  process.exit(0);
}
