// `npm run bench:config`: a generated 500-service stack, timed through the built CLI
// (`config -q` and full `config`, 7 runs each, process start included), next to
// `docker-compose config` (Debian's v1, installed when missing) and `docker compose config` (v2, when the
// docker CLI has it) on the same file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { composePeers, markdownTable, timeCommand, type BenchRow } from './lib.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'dist/cli/main.js');

export function generateStack(services: number): string {
  const lines = [
    'x-defaults: &defaults',
    '  restart: unless-stopped',
    '  labels:',
    '    com.example.bench: "true"',
    '  healthcheck:',
    '    test: ["CMD", "true"]',
    '    interval: 30s',
    'services:',
  ];
  for (let i = 0; i < services; i++) {
    lines.push(
      `  svc${i}:`,
      '    <<: *defaults',
      `    image: busybox:\${TAG:-1.36}`,
      `    command: sh -c "echo service ${i} && sleep 3600"`,
      '    environment:',
      `      - INDEX=${i}`,
      '      - MODE=${MODE:-bench}',
      '    ports:',
      `      - "127.0.0.1:${10000 + i}:80"`,
      '    volumes:',
      `      - data${i % 10}:/data`,
      `      - ./conf/svc${i}:/etc/svc:ro`,
      '    networks: [front, back]',
      ...(i > 0 ? ['    depends_on:', `      svc${i - 1}:`, '        condition: service_started'] : []),
    );
  }
  lines.push('networks:', '  front: {}', '  back: {}', 'volumes:');
  for (let v = 0; v < 10; v++) lines.push(`  data${v}: {}`);
  return `${lines.join('\n')}\n`;
}

export async function runConfigBench(): Promise<BenchRow[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-bench-config-'));
  try {
    const file = path.join(dir, 'compose.yaml');
    writeFileSync(file, generateStack(500));
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.homedir() };
    const peers = composePeers();
    const rows: BenchRow[] = [];
    for (const [name, extra] of [
      ['config -q (500 services)', ['-q']],
      ['config (500 services)', []],
    ] as const) {
      const ours = await timeCommand(process.execPath, [cli, '-f', file, '-p', 'bench', 'config', ...extra], { cwd: dir, env });
      const row: BenchRow = { case: name, tool: 'tscompose', medianMs: ours.medianMs, spreadMs: ours.spreadMs };
      rows.push(row);
      for (const peer of peers) {
        const t = await timeCommand(peer.argv[0]!, [...peer.argv.slice(1), '-f', file, '-p', 'bench', 'config', ...extra], {
          cwd: dir,
          env,
        });
        if (!row.peer) {
          row.peer = peer.name;
          row.peerMedianMs = t.medianMs;
        }
        rows.push({ case: name, tool: peer.name, medianMs: t.medianMs, spreadMs: t.spreadMs });
      }
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url) && !process.env.TSCOMPOSE_BENCH_AGGREGATE) {
  const rows = await runConfigBench();
  process.stdout.write(markdownTable(rows));
}
