// `npm run bench:up`: cold `up -d`, no-op `up -d` and `down` of a 5- and a 50-service stack on the
// Docker Engine, median of 5 runs each (process start included), next to Debian's docker-compose v1
// on the same dockerd when it is installed (`apt-get install -y docker-compose`; bench only).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyboxContext } from '../test/helpers/busybox-image.js';
import { ensureDockerd } from '../test/helpers/dockerd.js';
import { markdownTable, which, type BenchRow } from './lib.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'dist/cli/main.js');
const IMAGE = 'tsc-bench-up-busybox:latest';
const RUNS = Number(process.env.BENCH_UP_RUNS ?? 5);

export function upStack(services: number): string {
  const lines = ['services:'];
  for (let i = 0; i < services; i++) {
    lines.push(
      `  svc${i}:`,
      `    image: ${IMAGE}`,
      `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`,
      '    environment:',
      `      INDEX: "${i}"`,
      '    volumes:',
      `      - data${i % 5}:/data`,
      ...(i > 0 && i % 10 !== 0 ? ['    depends_on:', `      - svc${i - 1}`] : []),
    );
  }
  lines.push('volumes:');
  for (let v = 0; v < Math.min(5, services); v++) lines.push(`  data${v}: {}`);
  return `${lines.join('\n')}\n`;
}

interface Tool {
  name: string;
  argv: (project: string, file: string, args: string[]) => [string, string[]];
}

const tools = (): Tool[] => {
  const list: Tool[] = [{ name: 'tscompose', argv: (p, f, a) => [process.execPath, [cli, '--engine', 'docker', '-f', f, '-p', p, ...a]] }];
  const v1 = which('docker-compose');
  if (v1) list.push({ name: 'docker-compose v1', argv: (p, f, a) => [v1, ['-f', f, '-p', p, ...a]] });
  return list;
};

function run(argv: [string, string[]], cwd: string): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv[1], { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: { ...process.env, CI: '1' } });
  if (r.status !== 0)
    throw new Error(`${path.basename(argv[0])} ${argv[1].slice(-3).join(' ')} exited with ${r.status}: ${r.stderr.slice(-400)}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const stats = (samples: number[]) => {
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { medianMs: Math.round(median), spreadMs: Math.round(s[s.length - 1] - s[0]) };
};

function ensureImage(): void {
  const ctx = busyboxContext();
  try {
    const r = spawnSync('docker', ['build', '-q', '-t', IMAGE, ctx], { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    if (r.status !== 0) throw new Error(`building ${IMAGE} failed: ${r.stderr}`);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

export async function runUpBench(): Promise<BenchRow[]> {
  if (!(await ensureDockerd())) throw new Error('dockerd is not reachable');
  ensureImage();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-bench-up-'));
  const rows: BenchRow[] = [];
  try {
    for (const size of [5, 50]) {
      const file = path.join(dir, `stack-${size}.yaml`);
      writeFileSync(file, upStack(size));
      const results = new Map<string, Record<string, number[]>>();
      for (const tool of tools()) {
        const project = `tsc-bench-up-${size}-${tool.name === 'tscompose' ? 'ts' : 'v1'}`;
        const samples: Record<string, number[]> = { cold: [], noop: [], down: [] };
        const down = () => run(tool.argv(project, file, ['down', '-v', '-t', '1']), dir);
        try {
          down();
          for (let i = 0; i < RUNS; i++) {
            samples.cold.push(run(tool.argv(project, file, ['up', '-d']), dir));
            samples.noop.push(run(tool.argv(project, file, ['up', '-d']), dir));
            samples.down.push(down());
          }
        } finally {
          try {
            down();
          } catch {
            /* best effort */
          }
        }
        results.set(tool.name, samples);
      }
      const ours = results.get('tscompose')!;
      const peer = results.get('docker-compose v1');
      for (const c of ['cold', 'noop', 'down'] as const) {
        const label = { cold: 'cold up -d', noop: 'no-op up -d', down: 'down' }[c];
        const row: BenchRow = { case: `${label}, ${size} services`, tool: 'tscompose', ...stats(ours[c]) };
        if (peer) {
          row.peer = 'docker-compose v1';
          row.peerMedianMs = stats(peer[c]).medianMs;
        }
        rows.push(row);
      }
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    spawnSync('docker', ['rmi', IMAGE], { stdio: 'ignore' });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && !process.env.TSCOMPOSE_BENCH_AGGREGATE) {
  const rows = await runUpBench();
  process.stdout.write(markdownTable(rows));
  if (!which('docker-compose'))
    process.stdout.write('\n(docker-compose v1 is not installed: no peer figures; `apt-get install -y docker-compose`)\n');
}
