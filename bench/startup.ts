// `npm run bench:startup`: how fast the CLI answers when there is little to do, next to the other Compose
// implementations in the same run (Debian's docker-compose v1, installed when missing; docker compose v2
// when the docker CLI has it):
// - a no-op `up -d` of 5 services that are already up, on the bundled engine and on Docker Engine (the
//   engine is a separate daemon started beforehand: only the CLI is timed);
// - `ps` of those 5 services;
// - `config` of a 500-service stack file.
// tscompose runs with its YAML cache (the first round fills it) and, in rows of their own, without it.
// The tools run in rounds (one run of each per round, in turn), so a machine getting busier or quieter
// weighs on all alike; the rows give medians and the median of the per-round ratios to docker-compose v1.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyboxContext } from '../test/helpers/busybox-image.js';
import { ensureDockerd } from '../test/helpers/dockerd.js';
import { generateStack } from './config.js';
import { composePeers, markdownTable, ShellTimer, type BenchRow } from './lib.js';
import { upStack } from './up.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// the command users run: the package's bin
const cli = path.join(
  repo,
  (JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { bin: { tscompose: string } }).bin.tscompose,
);
const ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 15);
const IMAGE = 'tsc-bench-up-busybox:latest';
const PEER = 'docker-compose v1';

const ping = (socketPath: string) =>
  new Promise<boolean>((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });

/** The bundled engine as its own daemon on a temporary state root, as `tscompose engine` runs it. */
export async function startBundledEngine(
  dir: string,
): Promise<{ env: Record<string, string>; pid: number; root: string; socket: string; stop(): Promise<void> }> {
  const root = path.join(dir, 'engine');
  const socket = path.join(dir, 'engine.sock');
  const log = openSync(path.join(dir, 'engine.log'), 'a');
  const child: ChildProcess = spawn(process.execPath, [cli, 'engine', '--root', root, '--socket', socket], { stdio: ['ignore', log, log] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
    child.kill('SIGKILL');
  };
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await ping(socket))
      return { env: { TSCOMPOSE_STATE_ROOT: root, TSCOMPOSE_ENGINE_SOCKET: socket }, pid: child.pid!, root, socket, stop };
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`the bundled engine did not start (see ${path.join(dir, 'engine.log')})`);
}

interface Tool {
  name: string;
  argv: string[];
  env: Record<string, string>;
}

function must(argv: string[], env: Record<string, string>, cwd: string): void {
  const r = spawnSync(argv[0]!, argv.slice(1), {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (r.status !== 0) throw new Error(`${argv.slice(0, 6).join(' ')} … exited with ${r.status}: ${r.stderr.slice(-400)}`);
}

/** Times every tool's `args` in rounds; one row per tool, with the ratio to docker-compose v1's run of the same round. */
async function race(timer: ShellTimer, label: string, tools: Tool[], args: (tool: Tool) => string[]): Promise<BenchRow[]> {
  const samples = new Map<string, number[]>(tools.map((t) => [t.name, []]));
  for (let i = 0; i < ROUNDS; i++) {
    for (const t of tools) samples.get(t.name)!.push(await timer.time(t.argv[0]!, [...t.argv.slice(1), ...args(t)], t.env));
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  };
  const round = (n: number) => Math.round(n * 10) / 10;
  const peer = samples.get(PEER);
  // every tool gets its row; each but v1 itself is paired with v1's run of the same round
  return tools.map((t) => {
    const xs = samples.get(t.name)!;
    const row: BenchRow = { case: label, tool: t.name, medianMs: round(median(xs)), spreadMs: round(Math.max(...xs) - Math.min(...xs)) };
    if (peer && t.name !== PEER) {
      row.peer = PEER;
      row.peerMedianMs = round(median(peer));
      row.pairedRatio = median(xs.map((x, k) => x / peer[k]!));
    }
    return row;
  });
}

export async function runStartupBench(): Promise<BenchRow[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-bench-startup-'));
  const base = { CI: '1', PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.homedir() };
  // every tool runs in this environment alone, as `npm run bench:config` runs them: nothing else of this
  // process's (NODE_OPTIONS, NODE_EXTRA_CA_CERTS, which node reads at start-up, ~70 ms here, …) weighs on one tool
  const timer = new ShellTimer(base);
  const peers = composePeers();
  const dockerd = await ensureDockerd();
  const bundled = await startBundledEngine(dir);
  const ours: Tool[] = [
    { name: 'tscompose (bundled engine)', argv: [process.execPath, cli, '--engine', 'bundled'], env: { ...base, ...bundled.env } },
    ...(dockerd ? [{ name: 'tscompose (Docker Engine)', argv: [process.execPath, cli, '--engine', 'docker'], env: base }] : []),
  ];
  const others: Tool[] = dockerd ? peers.map((p) => ({ name: p.name, argv: p.argv, env: base })) : [];
  const stack = path.join(dir, 'compose.yaml');
  writeFileSync(stack, upStack(5));
  const project = (t: Tool) => `tsc-bench-startup-${ours.concat(others).indexOf(t)}`;
  const down = (t: Tool) => {
    try {
      must([...t.argv, '-f', stack, '-p', project(t), 'down', '-v', '-t', '1'], t.env, dir);
    } catch {
      /* best effort */
    }
  };
  const rows: BenchRow[] = [];
  try {
    // the image on both engines, built from Debian's static busybox (no registry needed)
    const ctx = busyboxContext();
    try {
      const buildFile = path.join(dir, 'build.yaml');
      writeFileSync(buildFile, `services:\n  image:\n    image: ${IMAGE}\n    build: ${JSON.stringify(ctx)}\n`);
      must([...ours[0]!.argv, '-f', buildFile, '-p', 'tsc-bench-startup-build', 'build'], ours[0]!.env, dir);
      if (dockerd) must(['docker', 'build', '-q', '-t', IMAGE, ctx], { DOCKER_BUILDKIT: '0' }, dir);
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }

    const upTools = [...ours, ...others];
    for (const t of upTools) {
      down(t);
      must([...t.argv, '-f', stack, '-p', project(t), 'up', '-d'], t.env, dir);
    }
    const upToolsNoCache = [
      ...upTools,
      { ...ours[0]!, name: 'tscompose (bundled engine), YAML cache off', env: { ...ours[0]!.env, TSCOMPOSE_CACHE: '0' } },
    ];
    rows.push(
      ...(await race(timer, 'no-op up -d, 5 services', upToolsNoCache, (t) => [
        '-f',
        stack,
        '-p',
        project(t === upToolsNoCache.at(-1) ? ours[0]! : t),
        'up',
        '-d',
      ])),
    );
    rows.push(...(await race(timer, 'ps, 5 services', upTools, (t) => ['-f', stack, '-p', project(t), 'ps'])));
    for (const t of upTools) down(t);

    const big = path.join(dir, 'compose-500.yaml');
    writeFileSync(big, generateStack(500));
    // the first round reads the file and caches it (~/.cache/tscompose); the no-cache row parses it every time
    const configTools = [
      { ...ours[0]!, name: 'tscompose' },
      { ...ours[0]!, name: 'tscompose, YAML cache off', env: { ...ours[0]!.env, TSCOMPOSE_CACHE: '0' } },
      ...peers.map((p) => ({ name: p.name, argv: p.argv, env: base })),
    ];
    rows.push(...(await race(timer, 'config, 500 services', configTools, () => ['-f', big, '-p', 'bench', 'config'])));
    return rows;
  } finally {
    timer.close();
    await bundled.stop();
    if (dockerd) spawnSync('docker', ['rmi', IMAGE], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && !process.env.TSCOMPOSE_BENCH_AGGREGATE) {
  process.stdout.write(markdownTable(await runStartupBench()));
  const inherited = ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'].filter((v) => process.env[v]);
  if (inherited.length) process.stdout.write(`\n(${inherited.join(' and ')} set here: the timed runs do not inherit it)\n`);
  process.exit(0);
}
