#!/usr/bin/env node
// Runs the test suites with node's test runner: `node scripts/run-tests.mjs [unit|integration|e2e|vm ...]`.
// vm boots a QEMU guest with pure cgroup v2 once (test/vm/cgroup2.test.ts, a few minutes) and skips where none can run.
// Unit tests run in parallel; suites that drive the engine or Docker run one file at a time.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration', 'e2e', 'vm'];
const files = [];
function collect(dir) {
  let entries = [];
  try { entries = readdirSync(dir); } catch { return; }
  for (const name of entries.sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) collect(p);
    else if (name.endsWith('.test.ts')) files.push(p);
  }
}
for (const s of suites) collect(path.join('test', s));
if (files.length === 0) { console.error('no test files found'); process.exit(1); }
const serial = suites.some((s) => s !== 'unit');
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${serial ? 1 : 2}`, ...files];
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
