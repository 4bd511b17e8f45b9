// `npm run bench:swarm`: a 20-service stack on the 3-node swarm lab (../shared/swarm-lab.sh), tscompose
// `--engine swarm up -d` beside `docker stack deploy` in the same run, interleaved round by round:
//   - deploy: from nothing until every task runs (docker stack deploy returns before that, so its
//     time includes polling the manager until 20/20 tasks run, as `up` itself waits), then removed;
//   - no-op re-deploy: the same file again (tscompose changes nothing; docker stack updates every service).
// Engine API calls per deploy are counted by a proxy in front of the manager's socket, once per case.
// Skips with a message (not a failure) when the lab cannot start.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { busyboxContext } from '../test/helpers/busybox-image.js';
import { buildAndPush, REPO, startLab, type Lab } from '../test/e2e/swarm/lab.js';
import { BenchSkipped, markdownTable, timeInterleaved, type BenchRow } from './lib.js';

const run = promisify(execFile);
const CLI = path.join(REPO, 'dist/cli/main.js');
const SERVICES = 20;
const DEPLOY_RUNS = 3;
const NOOP_RUNS = 5;
const NAMESPACE = 'com.docker.stack.namespace';

export function stackFile(image: string, services = SERVICES): string {
  const lines = ['services:'];
  for (let i = 1; i <= services; i++) {
    lines.push(
      `  s${String(i).padStart(2, '0')}:`,
      `    image: ${image}`,
      '    command: ["sleep", "86400"]',
      '    stop_signal: SIGKILL',
      '    environment: {INDEX: "' + i + '"}',
      '    deploy: {endpoint_mode: dnsrr, replicas: 1}',
    );
  }
  return lines.join('\n') + '\n';
}

/** Counts the HTTP requests that pass through it to the manager's socket, by method and path pattern. */
export class CountingProxy {
  readonly socket: string;
  private readonly server: net.Server;
  counts = new Map<string, number>();

  constructor(dir: string, target: string) {
    this.socket = path.join(dir, 'proxy.sock');
    this.server = net.createServer((client) => {
      const upstream = net.connect(target);
      client.on('data', (chunk: Buffer) => {
        // request lines at the start of a chunk or after a CRLF; JSON bodies carry no raw CRLF + verb
        for (const m of chunk.toString('latin1').matchAll(/(?:^|\r\n)(GET|POST|PUT|DELETE|HEAD) (\S+) HTTP\/1\.[01]\r\n/g))
          this.add(m[1]!, m[2]!);
      });
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close);
      upstream.on('error', close);
    });
  }

  private add(method: string, url: string): void {
    const key = `${method} ${url
      .split('?')[0]!
      .replace(/^\/v[\d.]+/, '')
      .replace(/\/[a-z0-9]{25}(?=\/|$)/g, '/{id}')
      .replace(/^\/distribution\/.*\/json$/, '/distribution/{image}/json')}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(this.socket, r));
  }
  reset(): void {
    this.counts = new Map();
  }
  total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }
  summary(): string {
    return [...this.counts]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${n}× ${k}`)
      .join(', ');
  }
  close(): void {
    this.server.close();
  }
}

async function waitForRunning(docker: Docker, project: string, wanted: number, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const services = (await docker.listServices({ filters: { label: [`${NAMESPACE}=${project}`] }, status: true } as never)) as unknown as {
      ServiceStatus?: { RunningTasks?: number };
    }[];
    const running = services.reduce((n, s) => n + (s.ServiceStatus?.RunningTasks ?? 0), 0);
    if (services.length === wanted && running >= wanted) return;
    if (Date.now() > deadline) throw new Error(`${project}: ${running}/${wanted} tasks running after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function waitForRemoved(docker: Docker, project: string): Promise<void> {
  const filters = { label: [`${NAMESPACE}=${project}`] };
  for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
    const [services, networks] = await Promise.all([docker.listServices({ filters }), docker.listNetworks({ filters })]);
    if (!services.length && !networks.length) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function runSwarmBench(): Promise<BenchRow[]> {
  const lab = await startLab(3);
  if ('unavailable' in lab) throw new BenchSkipped(`swarm lab unavailable: ${lab.unavailable}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-bench-swarm-'));
  const proxy = new CountingProxy(dir, lab.env.DOCKER_HOST.replace(/^unix:\/\//, ''));
  try {
    await proxy.listen();
    const context = busyboxContext();
    let image: string;
    try {
      image = await buildAndPush(lab, context, `tscompose-bench/busybox:${process.pid}`);
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
    const file = path.join(dir, 'compose.yaml');
    writeFileSync(file, stackFile(image));
    const manager = lab.env.DOCKER_HOST;
    const ours = 'benchtsc',
      theirs = 'benchdocker';
    const tscompose = (args: string[], host = manager) =>
      run(process.execPath, [CLI, '--engine', 'swarm', '-p', ours, '-f', file, ...args], {
        env: { ...process.env, DOCKER_HOST: host },
        maxBuffer: 1 << 24,
      });
    const stack = (args: string[], host = manager) => run('docker', ['-H', host, 'stack', ...args], { maxBuffer: 1 << 24 });
    const deployOurs = (host?: string) => tscompose(['up', '-d'], host);
    const deployTheirs = (host?: string) => stack(['deploy', '-c', file, theirs], host);
    const down = async () => {
      await Promise.all([tscompose(['down']), stack(['rm', theirs]).then(() => waitForRemoved(lab.docker, theirs))]);
    };
    await down().catch(() => {});

    // each round: both deploy from nothing (timed until every task runs), then both are removed (untimed)
    let pending: (() => Promise<void>) | undefined;
    const deploys = await timeInterleaved(
      {
        tscompose: async () => {
          await pending?.();
          const start = Date.now();
          await deployOurs();
          await waitForRunning(lab.docker, ours, SERVICES);
          return Date.now() - start;
        },
        docker: async () => {
          const start = Date.now();
          await deployTheirs();
          await waitForRunning(lab.docker, theirs, SERVICES);
          pending = down;
          return Date.now() - start;
        },
      },
      DEPLOY_RUNS,
    );
    // the last round left both stacks up: re-deploys of an unchanged file
    const noops = await timeInterleaved({ tscompose: () => deployOurs(), docker: () => deployTheirs() }, NOOP_RUNS);

    // API calls, through the counting proxy: a deploy from nothing and a no-op re-deploy, each tool
    const counts: Record<string, string> = {};
    const count = async (label: string, fn: () => Promise<unknown>) => {
      proxy.reset();
      await fn();
      counts[label] = `${proxy.total()} calls (${proxy.summary()})`;
      return proxy.total();
    };
    const proxied = `unix://${proxy.socket}`;
    await count('tscompose no-op', () => deployOurs(proxied));
    await count('docker no-op', () => deployTheirs(proxied));
    await down();
    await count('tscompose deploy', () => deployOurs(proxied));
    await count('docker deploy', () => deployTheirs(proxied));
    await down();
    for (const [k, v] of Object.entries(counts)) process.stderr.write(`bench swarm: API calls, ${k}: ${v}\n`);

    const calls = (k: string) => /^(\d+)/.exec(counts[k] ?? '')?.[1] ?? '?';
    return [
      {
        case: `swarm: deploy ${SERVICES} services to 3 nodes until all run (API calls: ${calls('tscompose deploy')} vs ${calls('docker deploy')})`,
        tool: 'tscompose --engine swarm up -d',
        medianMs: deploys.tscompose.medianMs,
        spreadMs: deploys.tscompose.spreadMs,
        peer: 'docker stack deploy + wait',
        peerMedianMs: deploys.docker.medianMs,
      },
      {
        case: `swarm: no-op re-deploy of ${SERVICES} services (API calls: ${calls('tscompose no-op')} vs ${calls('docker no-op')})`,
        tool: 'tscompose --engine swarm up -d',
        medianMs: noops.tscompose.medianMs,
        spreadMs: noops.tscompose.spreadMs,
        peer: 'docker stack deploy',
        peerMedianMs: noops.docker.medianMs,
      },
    ];
  } finally {
    proxy.close();
    rmSync(dir, { recursive: true, force: true });
    await (lab as Lab).stop();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && !process.env.TSCOMPOSE_BENCH_AGGREGATE) {
  try {
    process.stdout.write(markdownTable(await runSwarmBench()));
  } catch (err) {
    if (!(err instanceof BenchSkipped)) throw err;
    process.stdout.write(`skipped: ${err.message}\n`);
  }
  process.exit(0);
}
