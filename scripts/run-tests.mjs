#!/usr/bin/env node
// Runs the test suites with node's test runner: `node scripts/run-tests.mjs [unit|integration|e2e|vm ...]`.
// Unit tests run first, two files at a time; suites that drive the engine or Docker then run one file at a time.
// vm boots a QEMU guest with pure cgroup v2 (test/vm/cgroup2.test.ts, several minutes, mostly emulated CPU while
// the host suites mostly wait on containers): it runs alongside the other suites, its report printed after
// theirs, and a last line adds both up.
import { spawn } from 'node:child_process';
import { openSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration', 'contract', 'e2e', 'vm'];
function collect(dir, files = []) {
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return files;
  }
  for (const name of entries.sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) collect(p, files);
    else if (name.endsWith('.test.ts')) files.push(p);
  }
  return files;
}
const hostSuites = suites.filter((s) => s !== 'vm');
const hostFiles = hostSuites.flatMap((s) => collect(path.join('test', s)));
const vmFiles = suites.includes('vm') ? collect(path.join('test', 'vm')) : [];
if (hostFiles.length + vmFiles.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

/** Runs node's test runner on `files`; `live` streams its report, otherwise it is kept for later. */
function run(files, concurrency, live) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, ...files],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let report = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (d) => {
        report += d;
        if (live) process.stdout.write(d);
      });
    }
    child.on('close', (code) => resolve({ code: code ?? 1, report }));
  });
}

/**
 * The Debian root filesystem of samples/webapp's end-to-end test takes minutes of debootstrap on a fresh machine,
 * most of it waiting on the mirror and the disk: started now in the background it is ready by the time e2e/samples runs (the test's
 * own prepare.sh waits for it on the tar's lock). Only as root, the only user debootstrap works for.
 */
function prefetchWebappRootfs() {
  const test = 'test/e2e/samples/webapp-debian.test.ts';
  if (!hostFiles.some((f) => f === path.normalize(test)) || process.getuid?.() !== 0) return;
  const log = openSync(path.join(os.tmpdir(), 'tscompose-webapp-rootfs.log'), 'w');
  const child = spawn('sh', ['samples/webapp/prepare.sh', '--rootfs-only'], { stdio: ['ignore', log, log], detached: true });
  child.on('error', () => undefined);
  child.unref(); // a cache: if the test does not wait for it, it finishes on its own
}
prefetchWebappRootfs();

const count = (report, word) => Number(new RegExp(`^ℹ ${word} (\\d+)$`, 'm').exec(report)?.[1] ?? 0);
// Pure tests first, two files at a time (they share nothing); then the files that drive the engine or Docker,
// one at a time: they share the host's ports, iptables and the one Docker Engine.
const unitDir = path.join('test', 'unit') + path.sep;
const unitFiles = hostFiles.filter((f) => f.startsWith(unitDir));
const slowFiles = hostFiles.filter((f) => !f.startsWith(unitDir));
const hostRuns = async () => {
  const out = [];
  if (unitFiles.length) out.push(await run(unitFiles, 2, true));
  if (slowFiles.length) out.push(await run(slowFiles, 1, true));
  return out;
};
const [host, vm] = await Promise.all([hostRuns(), vmFiles.length ? run(vmFiles, 1, !hostFiles.length) : undefined]);
if (vm && hostFiles.length) process.stdout.write(`\n# the cgroup v2 guest (test/vm), run alongside:\n${vm.report}`);
const results = [...host, vm].filter(Boolean);
const passed = results.reduce((n, r) => n + count(r.report, 'pass'), 0);
const failed = results.reduce((n, r) => n + count(r.report, 'fail') + count(r.report, 'cancelled'), 0);
const skipped = results.reduce((n, r) => n + count(r.report, 'skipped'), 0);
const code = results.some((r) => r.code !== 0) ? 1 : 0;
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(code);
