// The API's and the bench aggregator's pure parts, without an engine: Docker stream framing,
// project names, and the benchmark comparison table.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { decodeAll, FrameDecoder } from '../../../src/api/log-stream.js';
import { sanitizeProjectName, uniqueProjectName } from '../../../src/api/project-name.js';
import { compare, markdownReport } from '../../../bench/report.js';
import { findBenchFunction, runAll } from '../../../bench/all.js';

const frame = (stream: 1 | 2, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

test('framed log streams are split into lines per stream, across chunk boundaries', () => {
  const bytes = Buffer.concat([frame(1, 'one\ntw'), frame(2, 'oops\n'), frame(1, 'o\nthree')]);
  const d = new FrameDecoder(false);
  const lines = [];
  for (let i = 0; i < bytes.length; i += 5) lines.push(...d.push(bytes.subarray(i, i + 5)));
  lines.push(...d.end());
  assert.deepEqual(lines, [
    { stream: 'stdout', text: 'one' },
    { stream: 'stderr', text: 'oops' },
    { stream: 'stdout', text: 'two' },
    { stream: 'stdout', text: 'three' },
  ]);
});

test('TTY streams are raw stdout; CRLF line ends are trimmed', () => {
  assert.deepEqual(decodeAll(Buffer.from('a\r\nb\n'), true), [
    { stream: 'stdout', text: 'a' },
    { stream: 'stdout', text: 'b' },
  ]);
});

test('project names: sanitized like compose, unique with an 8-hex suffix', () => {
  assert.equal(sanitizeProjectName('My App.v2'), 'my-app-v2');
  assert.equal(sanitizeProjectName('--x'), 'x');
  assert.equal(sanitizeProjectName('!!!'), 'project');
  const [a, b] = [uniqueProjectName('hello'), uniqueProjectName('hello')];
  assert.match(a, /^hello-[0-9a-f]{8}$/);
  assert.notEqual(a, b);
});

test('bench comparison pairs tscompose rows with peers from fields or from rows of the same case', () => {
  const rows = compare([
    {
      module: 'engine',
      rows: [
        { case: 'run --rm true', tool: 'tscompose (bundled engine)', medianMs: 60, spreadMs: 5 },
        { case: 'run --rm true', tool: 'docker run (dockerd)', medianMs: 300, spreadMs: 20 },
        { case: 'run --rm true', tool: 'runc run (floor)', medianMs: 30, spreadMs: 2 },
      ],
    },
    {
      module: 'config',
      rows: [
        { case: 'config, 500 services', tool: 'tscompose', medianMs: 200, spreadMs: 10, peer: 'docker-compose v1', peerMedianMs: 800 },
      ],
    },
  ]);
  assert.deepEqual(
    rows.map((r) => [r.case, r.peer, r.ratio]),
    [
      ['run --rm true', 'docker run (dockerd)', 0.2],
      ['run --rm true', 'runc run (floor)', 2],
      ['config, 500 services', 'docker-compose v1', 0.25],
    ],
  );
  const md = markdownReport([{ module: 'up', rows: [], note: 'skipped: bench/up.ts does not exist yet' }], { date: 'today', host: 'here' });
  assert.match(md, /## Notes\n\n- up: skipped: bench\/up.ts does not exist yet/);
});

test('the aggregator runs the modules that exist, notes the rest, and writes the table', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-api-bench-'));
  try {
    writeFileSync(
      path.join(dir, 'alpha.ts'),
      "export async function runAlphaBench() { return [{ case: 'c', tool: 'tscompose', medianMs: 10, spreadMs: 1, peer: 'p', peerMedianMs: 20 }]; }\n",
    );
    writeFileSync(path.join(dir, 'beta.ts'), "export async function runBetaBench() { throw new Error('no peer here'); }\n");
    const outFile = path.join(dir, 'out', 'latest.md');
    const { outcomes } = await runAll({ dir, modules: ['alpha', 'beta', 'gamma'], outFile, log: () => {} });
    assert.deepEqual(
      outcomes.map((o) => [o.module, o.rows.length, o.note?.replace(/after \d+ s/, 'after N s')]),
      [
        ['alpha', 1, undefined],
        ['beta', 0, 'failed after N s: no peer here'],
        ['gamma', 0, 'skipped: bench/gamma.ts does not exist yet'],
      ],
    );
    const md = readFileSync(outFile, 'utf8');
    assert.match(md, /\| alpha \| c \| tscompose \| 10\.0 ms ± 1\.0 \| p \| 20\.0 ms \| 0\.50× \|/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(findBenchFunction('x', { default: async () => [] }) !== undefined, true);
  assert.equal(findBenchFunction('x', { helper: () => 1 }), undefined);
});
