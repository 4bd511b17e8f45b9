// Log options as Docker reads them, the supervisor's rotating log file, reading and following across rotations,
// and where the init of HostConfig.Init comes from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { checkLogConfigAtCreate, logPolicy, parseSize, withEngineLogOpts } from '../../../src/engine/containers/log-config.js';
import { logFilesOldestFirst, RotatingLogFile } from '../../../src/engine/containers/log-file.js';
import { streamEntries } from '../../../src/engine/containers/logs.js';
import { findInitBinary, initCandidates, isStaticExecutable } from '../../../src/engine/runtime/init-binary.js';

test('log options: sizes, defaults and Docker refusals', () => {
  assert.equal(parseSize('1k', false), 1000, 'json-file reads decimal units (units.FromHumanSize)');
  assert.equal(parseSize('1k', true), 1024, 'local reads binary units (units.RAMInBytes)');
  assert.equal(parseSize('1.5MB', false), 1_500_000);
  assert.throws(() => parseSize('-1', false), /invalid size: '-1'/);
  assert.deepEqual(logPolicy('', {}), { driver: 'json-file', maxSize: undefined, maxFile: 1, compress: false });
  assert.deepEqual(logPolicy('local', {}), { driver: 'local', maxSize: 20 * 1024 * 1024, maxFile: 5, compress: true });
  assert.deepEqual(logPolicy('json-file', { 'max-file': '4' }).maxFile, 1, 'max-file without max-size means nothing');
  assert.throws(() => logPolicy('json-file', { 'max-size': '0' }), /max-size must be a positive number/);
  assert.throws(() => logPolicy('json-file', { 'max-size': '1k', compress: 'yes' }), /ParseBool: parsing "yes"/);
  assert.throws(() => checkLogConfigAtCreate('syslogx', {}), /plugin "syslogx" not found/);
  assert.throws(() => checkLogConfigAtCreate('json-file', { 'max-sise': '1k' }), /unknown log opt 'max-sise' for json-file log driver/);
  assert.doesNotThrow(() => checkLogConfigAtCreate('none', { anything: 'x' }), 'the API lets none take options');
  const defaults = { 'max-size': '20m', 'max-file': '5' };
  assert.deepEqual(withEngineLogOpts({ Type: 'json-file', Config: {} }, defaults).Config, defaults);
  assert.deepEqual(withEngineLogOpts({ Type: 'json-file', Config: { 'max-size': '1k' } }, defaults).Config, { 'max-size': '1k' });
  assert.deepEqual(withEngineLogOpts({ Type: 'local', Config: {} }, defaults).Config, {});
});

const entry = (n: number) =>
  JSON.stringify({ log: `line ${n}\n`, stream: 'stdout', time: new Date(2026, 0, 1, 0, 0, n).toISOString() }) + '\n';

test('the rotating log keeps at most max-file files, compressed, and logs reads them oldest first', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-rotate-'));
  try {
    const file = path.join(dir, 'container.log');
    const log = new RotatingLogFile(file, { driver: 'json-file', maxSize: 200, maxFile: 3, compress: true });
    // one write of many entries is rotated between entries, as Docker checks before each message
    log.writeEntries(Array.from({ length: 40 }, (_, n) => entry(n)));
    log.close();
    assert.deepEqual(readdirSync(dir).sort(), ['container.log', 'container.log.1.gz', 'container.log.2.gz']);
    assert.ok(readFileSync(file).length < 200 + entry(0).length, 'a file passes max-size by one entry at most');
    assert.match(gunzipSync(readFileSync(`${file}.1.gz`)).toString(), /^\{"log":"line/);
    assert.deepEqual(
      logFilesOldestFirst(file).map((f) => path.basename(f.path)),
      ['container.log.2.gz', 'container.log.1.gz', 'container.log'],
    );
    let text = '';
    await streamEntries({ file, tty: true, stdout: true, stderr: true, write: (c) => void (text += c.toString()), isClosed: () => false });
    const numbers = [...text.matchAll(/line (\d+)/g)].map((m) => Number(m[1]));
    assert.equal(numbers[numbers.length - 1], 39);
    assert.deepEqual(
      numbers,
      numbers.map((_, i) => numbers[0]! + i),
      'contiguous, oldest first',
    );
    assert.ok(numbers.length > 3 && numbers.length < 40);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a follower reads the rotated file to its end, then the new one', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-follow-'));
  try {
    const file = path.join(dir, 'container.log');
    writeFileSync(file, '');
    const log = new RotatingLogFile(file, { driver: 'json-file', maxSize: 150, maxFile: 1, compress: false });
    let text = '';
    let finish!: () => void;
    const until = new Promise<void>((r) => (finish = r));
    const following = streamEntries({
      file,
      tty: true,
      stdout: true,
      stderr: true,
      until,
      write: (c) => void (text += c.toString()),
      isClosed: () => false,
    });
    for (let n = 0; n < 30; n++) {
      log.writeEntries([entry(n)]);
      await new Promise((r) => setTimeout(r, 20));
    }
    log.close();
    await new Promise((r) => setTimeout(r, 400));
    finish();
    await following;
    assert.deepEqual(
      [...text.matchAll(/line (\d+)/g)].map((m) => Number(m[1])),
      [...Array(30).keys()],
      'every entry once, in order, though max-file=1 replaced the file about 15 times',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the init binary: a configured path, docker-init, tini-static; only a static executable; what to install', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-init-'));
  try {
    assert.equal(isStaticExecutable(process.execPath), false, 'node is dynamically linked');
    // Docker's libexec directories are looked in whatever PATH says: only without one there is nothing to find
    if (!initCandidates({ PATH: dir }).some((f) => existsSync(f))) {
      const none = findInitBinary({ PATH: dir });
      assert.ok('error' in none && /apt-get install tini/.test(none.error), JSON.stringify(none));
    }
    const dynamic = findInitBinary({ TSCOMPOSE_INIT_PATH: process.execPath, PATH: dir });
    assert.ok('error' in dynamic && /not a statically linked executable/.test(dynamic.error));
    const host = findInitBinary({ PATH: '/usr/bin:/bin' });
    if ('path' in host) {
      // the host has one (Debian's tini or docker.io): a copy named docker-init in PATH is found first
      copyFileSync(host.path, path.join(dir, 'docker-init'));
      chmodSync(path.join(dir, 'docker-init'), 0o755);
      assert.deepEqual(findInitBinary({ PATH: `${dir}:/usr/bin` }), { path: path.join(dir, 'docker-init') });
      writeFileSync(path.join(dir, 'tini-static'), 'not an ELF file');
      chmodSync(path.join(dir, 'tini-static'), 0o755);
      assert.deepEqual(findInitBinary({ TSCOMPOSE_INIT_PATH: path.join(dir, 'docker-init') }), { path: path.join(dir, 'docker-init') });
      assert.ok('error' in findInitBinary({ PATH: '/nonexistent', TSCOMPOSE_INIT_PATH: path.join(dir, 'tini-static') }));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
