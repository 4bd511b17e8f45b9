// Resolving paths inside a root as if chrooted: symlinks (absolute, relative, chains, loops) never lead out.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { tarball } from '../../helpers/tarball.js';
import {
  chrootComponents,
  createFileAt,
  mkdirAt,
  openDirInRoot,
  readFileInRootSync,
  resolveInRoot,
  safeComponents,
  symlinkAt,
  UnsafePathError,
} from '../../../src/engine/fs/in-root.js';

describe('in-root path resolution', () => {
  let top: string;
  let root: string;
  let victim: string;
  before(() => {
    top = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-inroot-'));
    root = path.join(top, 'root');
    victim = path.join(top, 'victim');
    fs.mkdirSync(path.join(root, 'etc', 'real'), { recursive: true });
    fs.mkdirSync(victim, { mode: 0o700 });
    fs.symlinkSync(victim, path.join(root, 'abs')); // absolute, names a host path
    fs.symlinkSync('../../..', path.join(root, 'etc', 'up')); // relative, climbs above the root
    fs.symlinkSync('/etc', path.join(root, 'etclink'));
    fs.symlinkSync('loop', path.join(root, 'loop'));
    fs.writeFileSync(path.join(root, 'file'), 'f');
  });
  after(() => fs.rmSync(top, { recursive: true, force: true }));

  test('components', () => {
    assert.deepEqual(safeComponents('a/./b//c/../d'), ['a', 'b', 'd']);
    assert.throws(() => safeComponents('a/../../x'), UnsafePathError);
    assert.deepEqual(chrootComponents('/../../a/../b/'), ['b']);
  });

  test('string resolution stays inside the root', async () => {
    await assert.rejects(resolveInRoot(root, ['abs', 'x']), { code: 'ENOENT' }); // the container's /tmp/… does not exist
    assert.equal(await resolveInRoot(root, ['etc', 'up', 'x']), path.join(root, 'x'));
    assert.equal(await resolveInRoot(root, ['etclink', 'real']), path.join(root, 'etc', 'real'));
    assert.equal(await resolveInRoot(root, ['etclink'], { followLast: false }), path.join(root, 'etclink'));
    await assert.rejects(resolveInRoot(root, ['loop', 'x']), /too many levels/);
    await assert.rejects(resolveInRoot(root, ['file', 'x']), /not a directory/);
    const made = await resolveInRoot(root, ['abs', 'new', 'dir'], { createDirs: true });
    assert.equal(made, path.join(root, victim, 'new', 'dir'));
    assert.ok(fs.statSync(made).isDirectory());
    assert.equal(await resolveInRoot(root, ['abs']), path.join(root, victim));
    assert.deepEqual(fs.readdirSync(victim), []);
  });

  test("small files are read inside the root (a /etc/passwd -> /etc/shadow reads the root's, not the host's)", () => {
    fs.mkdirSync(path.join(root, 'e2'));
    fs.writeFileSync(path.join(root, 'etc', 'shadow'), 'in-root\n');
    fs.symlinkSync('/etc/shadow', path.join(root, 'e2', 'passwd'));
    fs.symlinkSync('../../../../../etc/shadow', path.join(root, 'e2', 'group'));
    assert.equal(readFileInRootSync(root, ['e2', 'passwd']), 'in-root\n');
    assert.equal(readFileInRootSync(root, ['e2', 'group']), 'in-root\n');
    assert.equal(readFileInRootSync(root, ['abs', 'orig']), undefined);
    assert.equal(readFileInRootSync(root, ['etc']), undefined);
  });

  test('descriptor resolution stays inside the root, and writes never follow a final symlink', async () => {
    const { dir, parts } = await openDirInRoot(root, ['etc', 'up', 'abs'], { createDirs: true });
    try {
      assert.deepEqual(parts, victim.split('/').filter(Boolean));
      await (await createFileAt(dir, 'f', 0o644)).close();
      await symlinkAt(dir, 'l', victim);
      await (await mkdirAt(dir, 'l')).close(); // replaces the symlink, does not follow it
      assert.ok(fs.lstatSync(path.join(root, victim, 'l')).isDirectory());
    } finally {
      await dir.close();
    }
    // a symlink where a file is created is replaced, not written through
    fs.symlinkSync(path.join(victim, 'target'), path.join(root, 'wl'));
    const r = await openDirInRoot(root, []);
    try {
      await (await createFileAt(r.dir, 'wl')).close();
    } finally {
      await r.dir.close();
    }
    assert.ok(fs.lstatSync(path.join(root, 'wl')).isFile());
    assert.deepEqual(fs.readdirSync(victim), []);
    await assert.rejects(openDirInRoot(root, ['loop']), /too many levels/);
    await assert.rejects(openDirInRoot(root, ['file']), /not a directory/);
  });
});

describe('a container changing its filesystem during docker cp', () => {
  test('a directory swapped for a symlink to a host directory, again and again, never lets a write or chmod out', async () => {
    const { extractInto, packPath } = await import('../../../src/engine/containers/archive.js');
    const top = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-inroot-race-'));
    const root = path.join(top, 'root');
    const victim = path.join(top, 'victim');
    fs.mkdirSync(root);
    fs.mkdirSync(victim, { mode: 0o700 });
    fs.writeFileSync(path.join(victim, 'orig'), 'original\n');
    const old = new Date('2001-01-01T00:00:00Z');
    fs.utimesSync(path.join(victim, 'orig'), old, old);
    fs.utimesSync(victim, old, old);
    const snap = () =>
      JSON.stringify([
        fs.lstatSync(victim).mode,
        fs.lstatSync(victim).mtimeMs,
        fs.readdirSync(victim),
        fs.readFileSync(path.join(victim, 'orig'), 'utf8'),
      ]);
    const before = snap();
    // what a process in the container could do: flip /d between a directory and a symlink to the host path
    const swapper = spawn(
      'sh',
      ['-c', `cd ${root} && while :; do rm -rf d; mkdir d d/sub 2>/dev/null; rm -rf d; ln -s ${victim} d; done`],
      { stdio: 'ignore', detached: true },
    );
    const archive = await tarball([
      { name: 'd', type: 'directory', mode: 0o777 },
      { name: 'd/sub', type: 'directory', mode: 0o777 },
      { name: 'd/orig', content: 'overwritten\n', mode: 0o666 },
      { name: 'd/sub/pwned', content: 'pwned\n' },
      { name: 'd/l', type: 'symlink', linkname: victim },
    ]);
    const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
    let ok = 0;
    try {
      const end = Date.now() + 3000;
      // at least 3 s of races, and under load until one copy has gone through (or 15 s more)
      while (Date.now() < end || (ok === 0 && Date.now() < end + 15_000)) {
        await extractInto(root, '/', Readable.from(archive)).then(
          () => ok++,
          () => {},
        );
        await extractInto(root, '/d/', Readable.from(archive)).catch(() => {});
        await packPath(root, '/d/', sink()).catch(() => {});
      }
    } finally {
      // the whole process group: an `rm`/`mkdir` the shell started must not outlive it into the cleanup below
      const exited = new Promise((r) => swapper.once('exit', r));
      process.kill(-swapper.pid!, 'SIGKILL');
      await exited;
    }
    try {
      assert.equal(snap(), before, 'the host directory is untouched');
      assert.ok(ok > 0, 'some copies went through');
    } finally {
      fs.rmSync(top, { recursive: true, force: true });
    }
  });
});
