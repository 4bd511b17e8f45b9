// The CLI's caches of stack files (the YAML cache, the validation cache, the canonical forms) change nothing it
// prints: every case of the shared compose corpus gives the bundled CLI's `config` the same output, warnings,
// errors and exit status on its first run in an empty cache directory, which reads and makes everything (and
// fills the caches), as on its second, which takes what it can from them. Skipped when the corpus is not on this
// machine or the CLI is not built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { corpusCases, type Case } from '../../helpers/compose-corpus.js';

const cli = path.resolve(import.meta.dirname, '../../../dist/cli/tscompose.cjs');
const cases = corpusCases();
const skip = !cases.length ? 'no corpus here' : !existsSync(cli) ? 'dist/cli is not built (npm run build)' : false;

function config(c: Case, env: Record<string, string>): Promise<string> {
  const args = [...c.files.flatMap((f) => ['-f', f]), ...c.args, 'config'];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: c.dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.homedir(), ...c.env, ...env },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += `[stderr] ${d.toString()}`));
    child.on('close', (code) => resolve(`${out}[exit ${code}]`));
  });
}

test('every corpus case prints the same config from the caches as without them', { skip }, async () => {
  const cache = mkdtempSync(path.join(os.homedir(), '.tsc-cache-corpus-')); // a cache in /tmp is not trusted
  try {
    const differ: string[] = [];
    // two cases at a time: each run is a process of its own
    const queue = [...cases];
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const made = await config(c, { TSCOMPOSE_CACHE_DIR: cache });
        const cached = await config(c, { TSCOMPOSE_CACHE_DIR: cache });
        if (cached !== made) differ.push(`${c.name}:\n--- made\n${made}\n--- from the caches\n${cached}`);
      }
    };
    await Promise.all([worker(), worker()]);
    assert.deepEqual(differ, []);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
