// `npm run bench:watch`: latency from a file write on the host to the new content being served by the
// container (HTTP poll every ~5 ms), p50 and p95, for `sync` and `sync+restart` rules, on Docker Engine and
// on the bundled engine (a private daemon on a temp root) when it is available.
// docker compose v2 (the `docker compose watch` peer) cannot be installed on this machine (no plugin
// package in Debian 12, no internet), so there is no peer figure.
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { ensureDockerd } from '../test/helpers/dockerd.js';
import { bundledEngine } from '../test/e2e/api/engines.js';
import { httpdService, newStack, rule } from '../test/e2e/watch/stack.js';
import { startWatch } from '../src/watch/index.js';
import type { ReportRow } from './report.js';

const SYNC_EDITS = Number(process.env.BENCH_WATCH_EDITS ?? 50);
const RESTART_EDITS = Number(process.env.BENCH_WATCH_RESTART_EDITS ?? 20);
const POLL_MS = 5;
const TIMEOUT_MS = 15_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The body of a 200 answer, '' for any other status, undefined when the server could not be reached. */
function getBody(ip: string, file: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: ip, port: 80, path: `/${file}`, agent: false, timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve(res.statusCode === 200 ? body : ''));
      res.on('error', () => resolve(undefined));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => {
      req.destroy();
      resolve(undefined);
    });
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export async function runWatchBench(log: (line: string) => void = () => {}): Promise<ReportRow[]> {
  const rows: ReportRow[] = [];
  if (await ensureDockerd()) rows.push(...(await benchOn('Docker Engine', undefined, log)));
  else log('Docker Engine is not available: skipped');
  const bundled = await bundledEngine();
  if (bundled) {
    try {
      rows.push(...(await benchOn('bundled engine', { docker: bundled.docker, engineKey: `bundled:${bundled.socket}` }, log)));
    } finally {
      await bundled.close();
    }
  } else log('the bundled engine is not available: skipped');
  return rows;
}

async function benchOn(
  engineName: string,
  engine: { docker: Docker; engineKey: string } | undefined,
  log: (line: string) => void,
): Promise<ReportRow[]> {
  const stack = newStack(
    'tsc-watch-bench',
    (context) => {
      mkdirSync(path.join(context, 'restart-www'));
      return [
        httpdService('web', context, [rule({ action: 'sync', path: path.join(context, 'www'), target: '/www' })]),
        // the app serves what it copied at start, so new content shows only once the restart happened
        {
          ...httpdService('app', context, [rule({ action: 'sync+restart', path: path.join(context, 'restart-www'), target: '/conf' })]),
          command: ['sh', '-c', 'cp -r /conf/. /www/; exec httpd -f -p 80 -h /www'],
        },
      ];
    },
    engine,
  );
  const handle = { current: undefined as Awaited<ReturnType<typeof startWatch>> | undefined };
  try {
    await stack.up();
    handle.current = await startWatch({ project: stack.project, engine: stack.engine, engineKey: stack.engineKey, log: () => {} });
    await handle.current.ready;

    const measure = async (service: string, dir: string, edits: number): Promise<number[]> => {
      const samples: number[] = [];
      for (let i = 0; i < edits; i++) {
        await handle.current!.idle();
        await sleep(100);
        const body = `edit ${i} ${Date.now()}\n`;
        let ip = await stack.containerIp(service);
        const started = performance.now();
        writeFileSync(path.join(dir, 'bench.txt'), body);
        for (;;) {
          const answer = ip ? await getBody(ip, 'bench.txt') : undefined;
          if (answer === body) break;
          // only an unreachable server sends us back to the engine: a restarted container may have a new address
          if (answer === undefined) ip = await stack.containerIp(service);
          if (performance.now() - started > TIMEOUT_MS) throw new Error(`${service}: edit ${i} not served after ${TIMEOUT_MS} ms`);
          await sleep(POLL_MS);
        }
        samples.push(performance.now() - started);
      }
      return samples.sort((a, b) => a - b);
    };

    const rows: ReportRow[] = [];
    for (const [label, service, dir, edits] of [
      ['sync', 'web', path.join(stack.dir, 'www'), SYNC_EDITS],
      ['sync+restart', 'app', path.join(stack.dir, 'restart-www'), RESTART_EDITS],
    ] as const) {
      const samples = await measure(service, dir, edits);
      const p50 = percentile(samples, 50);
      const p95 = percentile(samples, 95);
      log(
        `${engineName}, ${label}: ${edits} edits, p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, min ${samples[0]!.toFixed(1)} ms, max ${samples.at(-1)!.toFixed(1)} ms`,
      );
      rows.push({
        case: `watch ${label}: write → served, p50 of ${edits}`,
        tool: `tscompose (${engineName})`,
        medianMs: p50,
        spreadMs: p95 - p50,
      });
      rows.push({ case: `watch ${label}: write → served, p95 of ${edits}`, tool: `tscompose (${engineName})`, medianMs: p95, spreadMs: 0 });
    }
    return rows;
  } finally {
    await handle.current?.close();
    await stack.remove();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && !process.env.TSCOMPOSE_BENCH_AGGREGATE) {
  const rows = await runWatchBench((line) => process.stdout.write(`${line}\n`));
  process.stdout.write('\n| case | tool | ms |\n| --- | --- | --- |\n');
  for (const r of rows) process.stdout.write(`| ${r.case} | ${r.tool} | ${r.medianMs.toFixed(1)} |\n`);
  process.stdout.write('\nPeer: docker compose v2 (`docker compose watch`) is not installable on this machine, so no peer figure.\n');
  process.exit(0);
}
