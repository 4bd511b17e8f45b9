// The CLI's code cache (src/cli/code-cache.ts), run in child processes as the launcher runs it: an entry is
// written after a first run and used by the next, and a changed bundle, a corrupt entry or an untrusted
// directory never changes what the bundle does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const repo = path.resolve(import.meta.dirname, '../../..');

function setup(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(path.join(os.homedir(), '.tsc-code-cache-test-')); // not /tmp, which everyone can write to
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const driver = path.join(dir, 'driver.mts');
  writeFileSync(
    driver,
    `import { requireWithCodeCache } from ${JSON.stringify(pathToFileURL(path.join(repo, 'src/cli/code-cache.ts')).href)};\n` +
      `const m = requireWithCodeCache(process.argv[2], 'probe', process.argv[3], process.argv[4]);\n` +
      `process.stdout.write(String(await m.value()));\n`,
  );
  const cache = path.join(dir, 'cache');
  mkdirSync(cache, { mode: 0o700 });
  const bundle = path.join(dir, 'bundle.cjs');
  const run = (builtHash?: string) =>
    execFileSync(process.execPath, ['--import', 'tsx', driver, bundle, cache, ...(builtHash ? [builtHash] : [])], { encoding: 'utf8' });
  const entries = () => {
    try {
      return readdirSync(path.join(cache, 'code')).filter((n) => n.endsWith('.bin'));
    } catch {
      return [];
    }
  };
  return { dir, cache, bundle, run, entries, entry: (name: string) => path.join(cache, 'code', name) };
}

// a function worth caching, and an ES module imported as the bundle imports the daemon: through the launcher's
// importer when it runs the bundle as a vm.Script (import() itself fails there once the script comes from the
// cache), through import() when it requires the bundle without a cache
const bundleText = (answer: string) =>
  "const os = require('node:os');\n" +
  "const importEsm = typeof __tscImportEsm === 'function' ? __tscImportEsm : (u) => import(u);\n" +
  `exports.value = async () => (await importEsm('node:path')).join('${answer}', String(os.EOL.length));\n`;

test('a first run writes an entry, private to this user, that the next run uses without rewriting it', (t) => {
  const s = setup(t);
  writeFileSync(s.bundle, bundleText('aaaa'));
  assert.equal(s.run(), 'aaaa/1');
  const [name] = s.entries();
  assert.ok(name, 'an entry is written');
  assert.match(name, /^probe-[0-9a-f]{32}\.bin$/);
  const before = statSync(s.entry(name));
  assert.equal(before.mode & 0o777, 0o600);
  assert.ok(before.size > 0);
  assert.equal(s.run(), 'aaaa/1');
  const after = statSync(s.entry(name));
  assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs], 'an accepted entry is not written again');
});

test('a bundle changed to another text of the same length gets its own entry and runs its own code', (t) => {
  const s = setup(t);
  writeFileSync(s.bundle, bundleText('aaaa'));
  assert.equal(s.run(), 'aaaa/1');
  writeFileSync(s.bundle, bundleText('bbbb')); // V8 alone would take the first entry: it checks only the length
  assert.equal(s.run(), 'bbbb/1');
  assert.equal(s.entries().length, 2);
});

test('with the hash its build gave, a bundle rewritten to another text of the same length still gets its own entry', (t) => {
  const s = setup(t);
  writeFileSync(s.bundle, bundleText('aaaa'));
  assert.equal(s.run('build-1'), 'aaaa/1');
  assert.equal(s.run('build-1'), 'aaaa/1');
  assert.equal(s.entries().length, 1, 'the same file under the same build hash uses its entry');
  // the text is not hashed on this path: the rewrite is told apart by the file's modification time
  writeFileSync(s.bundle, bundleText('bbbb'));
  assert.equal(s.run('build-1'), 'bbbb/1');
  assert.equal(s.entries().length, 2);
  // replaced by another file of the same size and modification time, as a package upgrade might: another inode
  const before = statSync(s.bundle);
  const copy = `${s.bundle}.new`;
  writeFileSync(copy, bundleText('cccc'));
  utimesSync(copy, before.atime, before.mtime);
  renameSync(copy, s.bundle);
  assert.equal(s.run('build-1'), 'cccc/1', 'another inode');
});

test('a corrupt entry is refused and replaced', (t) => {
  const s = setup(t);
  writeFileSync(s.bundle, bundleText('aaaa'));
  s.run();
  const [name] = s.entries();
  const garbage = Buffer.alloc(statSync(s.entry(name!)).size, 0x5a);
  writeFileSync(s.entry(name!), garbage);
  assert.equal(s.run(), 'aaaa/1');
  assert.notDeepEqual(readFileSync(s.entry(name!)), garbage, 'the entry is written again');
});

test('a cache directory others can write to is not used', (t) => {
  const s = setup(t);
  chmodSync(s.cache, 0o777);
  writeFileSync(s.bundle, bundleText('aaaa'));
  assert.equal(s.run(), 'aaaa/1');
  assert.deepEqual(s.entries(), []);
});
