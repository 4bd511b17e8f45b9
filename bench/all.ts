// `npm run bench`: runs every benchmark module that exists, one after the other (they share two
// cores), and writes one table to bench/results/latest.md and stdout.
// A module is bench/<name>.ts exporting `run<Name>Bench(): Promise<BenchRow[]>` (or any `run…Bench`).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureDockerd } from '../test/helpers/dockerd.js';
import { markdownReport, type ModuleOutcome, type ReportRow } from './report.js';

export const BENCH_MODULES = [
  'startup',
  'config',
  'engine',
  'exec',
  'logs',
  'up',
  'watch',
  'pull',
  'build',
  'big-image',
  'footprint',
  'published-ports',
  'swarm',
];

type BenchFn = () => Promise<ReportRow[]>;

/** The module's benchmark function: run<Name>Bench, else the only run…Bench export, else a default function. */
export function findBenchFunction(name: string, mod: Record<string, unknown>): BenchFn | undefined {
  const preferred = `run${name[0].toUpperCase()}${name.slice(1)}Bench`;
  if (typeof mod[preferred] === 'function') return mod[preferred] as BenchFn;
  const candidates = Object.entries(mod).filter(([k, v]) => /^run\w*Bench$/.test(k) && typeof v === 'function');
  if (candidates.length === 1) return candidates[0][1] as BenchFn;
  if (typeof mod.default === 'function') return mod.default as BenchFn;
  return undefined;
}

export async function runModule(dir: string, name: string): Promise<ModuleOutcome> {
  const file = path.join(dir, `${name}.ts`);
  if (!existsSync(file)) return { module: name, rows: [], note: `skipped: bench/${name}.ts does not exist yet` };
  const started = Date.now();
  try {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const fn = findBenchFunction(name, mod);
    if (!fn) return { module: name, rows: [], note: `skipped: bench/${name}.ts exports no run…Bench() function` };
    const rows = await fn();
    if (!Array.isArray(rows)) return { module: name, rows: [], note: 'the benchmark returned no rows' };
    return { module: name, rows, note: rows.length ? undefined : 'the benchmark returned no rows' };
  } catch (err) {
    if ((err as Error).name === 'BenchSkipped') return { module: name, rows: [], note: `skipped: ${(err as Error).message}` };
    return {
      module: name,
      rows: [],
      note: `failed after ${((Date.now() - started) / 1000).toFixed(0)} s: ${(err as Error).message ?? String(err)}`,
    };
  }
}

export interface RunAllOptions {
  dir?: string;
  modules?: string[];
  outFile?: string;
  log?: (line: string) => void;
}

export async function runAll(opts: RunAllOptions = {}): Promise<{ outcomes: ModuleOutcome[]; markdown: string }> {
  const dir = opts.dir ?? path.dirname(fileURLToPath(import.meta.url));
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // lets a module that also runs as a script (`npm run bench:x`) skip its own printing when imported
  process.env.TSCOMPOSE_BENCH_AGGREGATE = '1';
  const outcomes: ModuleOutcome[] = [];
  // the peers (docker run, docker-compose v1, docker build) run on Debian's dockerd: start it when absent
  if (!opts.dir && !(await ensureDockerd())) log('bench: dockerd is not available: peer figures will be missing');
  for (const name of opts.modules ?? BENCH_MODULES) {
    log(`bench: ${name} …`);
    const outcome = await runModule(dir, name);
    log(`bench: ${name}: ${outcome.note ?? `${outcome.rows.length} rows`}`);
    outcomes.push(outcome);
  }
  const markdown = markdownReport(outcomes, {
    date: new Date().toISOString(),
    host: `${os.hostname()} (${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version})`,
  });
  const outFile = opts.outFile ?? path.join(dir, 'results', 'latest.md');
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, markdown);
  return { outcomes, markdown };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const only = process.argv.slice(2);
  const { markdown } = await runAll({ modules: only.length ? only : undefined });
  process.stdout.write(markdown);
  // bench modules may leave handles (daemons, watchers) open
  process.exit(0);
}
