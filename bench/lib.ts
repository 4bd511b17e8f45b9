// Shared benchmark helpers: the row every bench module returns, timing of repeated runs
// (median and spread), and a small markdown table.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { shellQuote } from '../src/shell-quote.js';

export interface BenchRow {
  case: string;
  tool: string;
  medianMs: number;
  spreadMs: number;
  peer?: string;
  peerMedianMs?: number;
  /** median over rounds of (this run ÷ the peer's run in the same round), where the two were interleaved */
  pairedRatio?: number;
  /** the unit of medianMs/spreadMs/peerMedianMs when the row does not measure time (e.g. 'MB') */
  unit?: string;
}

/** Thrown by a benchmark that cannot run here (a missing lab or tool): reported as skipped, with why. */
export class BenchSkipped extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'BenchSkipped';
  }
}

export interface Timing {
  medianMs: number;
  spreadMs: number;
  samplesMs: number[];
}

/** Median and spread (max − min) of `runs` timed calls of `fn`. */
export async function time(fn: () => unknown | Promise<unknown>, runs = 7): Promise<Timing> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return summarize(samples);
}

/** Times several cases in rounds (one run of each per round, in turn), so that a machine getting busier
 *  or quieter during the measurement weighs on every case alike; median and spread per case. A case that
 *  returns a number reports its own duration in ms (see ShellTimer). */
export async function timeInterleaved<K extends string>(
  cases: Record<K, () => unknown | Promise<unknown>>,
  runs = 20,
): Promise<Record<K, Timing>> {
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < runs; i++) {
    for (const [k, fn] of Object.entries(cases) as [K, () => unknown][]) {
      const start = process.hrtime.bigint();
      const own = await fn();
      samples[k].push(typeof own === 'number' ? own : Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  return Object.fromEntries((Object.entries(samples) as [K, number[]][]).map(([k, v]) => [k, summarize(v)])) as Record<K, Timing>;
}

function summarize(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { medianMs: round(median), spreadMs: round(sorted.at(-1)! - sorted[0]!), samplesMs: samples.map(round) };
}

/** Times commands run by one long-lived bash, from just before to just after each ($EPOCHREALTIME, no
 *  fork): a spawn from this node process would add the cost of forking it (2–3 ms at 100 MB) to every
 *  command, which neither a shell user nor the engine pays. */
export class ShellTimer {
  private readonly shell: ChildProcess;
  private readonly lines: ((line: string) => void)[] = [];
  private buffered = '';

  /** `env`: the whole environment of the timed commands (each adds its own); this process's when not given. */
  constructor(env?: NodeJS.ProcessEnv) {
    this.shell = spawn('bash', [], { stdio: ['pipe', 'pipe', 'inherit'], env: env ?? process.env });
    this.shell.stdout!.setEncoding('utf8');
    this.shell.stdout!.on('data', (chunk: string) => {
      this.buffered += chunk;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        this.lines.shift()?.(line);
      }
    });
  }

  /** The command's duration in ms; a non-zero exit is an error. */
  async time(cmd: string, args: string[], env: Record<string, string> = {}): Promise<number> {
    const assignments = Object.entries(env)
      .map(([k, v]) => `${k}=${shellQuote(v)}`)
      .join(' ');
    const line = new Promise<string>((resolve) => this.lines.push(resolve));
    this.shell.stdin!.write(
      `s=$EPOCHREALTIME; ${assignments} ${[cmd, ...args].map(shellQuote).join(' ')} >/dev/null 2>/tmp/tsc-bench-stderr </dev/null; c=$?; e=$EPOCHREALTIME; echo "$c $s $e"\n`,
    );
    const [code, start, end] = (await line).split(' ');
    if (code !== '0')
      throw new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${readFileSync('/tmp/tsc-bench-stderr', 'utf8').slice(0, 400)}`);
    return (Number(end) - Number(start)) * 1000;
  }

  close(): void {
    this.shell.stdin!.end();
  }
}

/** Times a whole process (start-up included); a non-zero exit is an error. */
export function timeCommand(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; runs?: number } = {},
): Promise<Timing> {
  return time(() => {
    const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${r.stderr?.slice(0, 500)}`);
  }, opts.runs);
}

/** The path of an executable on PATH, or undefined. */
export function which(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

export function markdownTable(rows: BenchRow[]): string {
  const paired = rows.some((r) => r.pairedRatio !== undefined);
  const lines = [
    `| case | tool | median ms | spread ms | peer | peer median ms | ratio |${paired ? ' paired ratio |' : ''}`,
    `|---|---|---:|---:|---|---:|---:|${paired ? '---:|' : ''}`,
  ];
  for (const r of rows) {
    const ratio = r.peerMedianMs ? (r.medianMs / r.peerMedianMs).toFixed(2) : '';
    const pairedCell = paired ? ` ${r.pairedRatio?.toFixed(2) ?? ''} |` : '';
    lines.push(
      `| ${r.case} | ${r.tool} | ${r.medianMs} | ${r.spreadMs} | ${r.peer ?? ''} | ${r.peerMedianMs ?? ''} | ${ratio} |${pairedCell}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const round = (n: number) => Math.round(n * 10) / 10;

/** Installs Debian packages that are missing (as root, with apt-get), so a fresh machine measures its
 *  peers too; returns false when that is not possible here. */
export function ensureDebianPackages(packages: string[]): boolean {
  const missing = packages.filter((p) => spawnSync('dpkg', ['-s', p], { stdio: 'ignore' }).status !== 0);
  if (!missing.length) return true;
  if (process.getuid?.() !== 0 || !which('apt-get')) return false;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env })
      .status === 0;
  if (install()) return true;
  spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  return install();
}

/** The Compose implementations this machine has beside tscompose, each as the argv that runs it:
 *  Debian's docker-compose v1 (installed when missing) and the docker CLI's `compose` plugin (v2) when present. */
export function composePeers(): { name: string; argv: string[] }[] {
  ensureDebianPackages(['docker-compose']);
  const peers: { name: string; argv: string[] }[] = [];
  const v1 = which('docker-compose');
  if (v1) peers.push({ name: 'docker-compose v1', argv: [v1] });
  const docker = which('docker');
  if (docker && spawnSync(docker, ['compose', 'version'], { stdio: 'ignore' }).status === 0)
    peers.push({ name: 'docker compose v2', argv: [docker, 'compose'] });
  return peers;
}
