// Hostile layer tarballs: nothing may appear outside the layer root (a sentinel directory around it).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, test } from 'node:test';
import tar from 'tar-stream';
import { extractLayer, UnsafeLayerError } from '../../../src/engine/images/extract.js';
import { tarball } from '../../helpers/tarball.js';

/** Every path under `dir`, relative, skipping `skip`. */
function listTree(dir: string, skip: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d)) {
      const p = path.join(d, name);
      if (p === skip) continue;
      out.push(path.relative(dir, p));
      if (fs.lstatSync(p).isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

const isRoot = process.getuid?.() === 0;

describe('hostile layer extraction', () => {
  let sentinel: string;
  let root: string;
  let passwdBefore: fs.Stats;

  beforeEach(() => {
    // sentinel/a/b/root: "../../x" from root lands in sentinel if anything escapes
    sentinel = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-img-sentinel-'));
    root = path.join(sentinel, 'a', 'b', 'root');
    fs.mkdirSync(root, { recursive: true });
    passwdBefore = fs.statSync('/etc/passwd');
  });
  afterEach(() => {
    const outside = listTree(sentinel, root).filter((p) => !['a', 'a/b'].includes(p));
    fs.rmSync(sentinel, { recursive: true, force: true });
    assert.deepEqual(outside, [], 'nothing may be written outside the layer root');
    const passwd = fs.statSync('/etc/passwd');
    assert.equal(passwd.nlink, passwdBefore.nlink);
    assert.equal(passwd.mtimeMs, passwdBefore.mtimeMs);
  });

  const extract = async (entries: (Partial<tar.Header> & { name: string } & { content?: string })[]) =>
    extractLayer(Readable.from([await tarball(entries)]), root);

  test('zip-slip ../../x is rejected', async () => {
    await assert.rejects(extract([{ name: '../../x', content: 'evil' }]), UnsafeLayerError);
    await assert.rejects(extract([{ name: 'ok/../../../x', content: 'evil' }]), UnsafeLayerError);
  });

  test('absolute paths are confined to the root', async () => {
    await extract([{ name: '/etc/tsc-img-evil', content: 'evil' }]);
    assert.equal(fs.readFileSync(path.join(root, 'etc/tsc-img-evil'), 'utf8'), 'evil');
    assert.equal(fs.existsSync('/etc/tsc-img-evil'), false);
  });

  test('writing through a symlink that points outside lands inside the root', async () => {
    await extract([
      { name: 'escape', type: 'symlink', linkname: '../../..' },
      { name: 'escape/x', content: 'evil' },
      { name: 'abs', type: 'symlink', linkname: sentinel },
      { name: 'abs/y', content: 'evil' },
    ]);
    assert.equal(fs.readFileSync(path.join(root, 'x'), 'utf8'), 'evil');
    assert.ok(fs.existsSync(path.join(root, sentinel, 'y')), 'absolute link target resolved inside the root');
    assert.equal(fs.readlinkSync(path.join(root, 'escape')), '../../..', 'the symlink itself is kept');
  });

  test('a file entry replacing a symlink does not write through it', async () => {
    const outsideFile = path.join(sentinel, 'victim');
    await extract([
      { name: 'link', type: 'symlink', linkname: outsideFile },
      { name: 'link', content: 'evil' },
    ]);
    assert.equal(fs.existsSync(outsideFile), false);
    assert.ok(fs.lstatSync(path.join(root, 'link')).isFile());
  });

  test('symlink chains escaping step by step stay inside', async () => {
    await extract([
      { name: 'd1/d2', type: 'directory' },
      { name: 'd1/d2/up1', type: 'symlink', linkname: '..' },
      { name: 'd1/up2', type: 'symlink', linkname: 'd2/up1/..' },
      { name: 'chain', type: 'symlink', linkname: 'd1/up2/../../..' },
      { name: 'chain/z', content: 'evil' },
    ]);
    assert.ok(fs.existsSync(path.join(root, 'z')));
  });

  test('symlink loops fail instead of hanging', async () => {
    await assert.rejects(
      extract([
        { name: 'l1', type: 'symlink', linkname: 'l2' },
        { name: 'l2', type: 'symlink', linkname: 'l1' },
        { name: 'l1/x', content: 'x' },
      ]),
      UnsafeLayerError,
    );
  });

  test('hard links to /etc/passwd or outside the root are rejected', async () => {
    await assert.rejects(extract([{ name: 'pw', type: 'link', linkname: '/etc/passwd' }]), UnsafeLayerError);
    await assert.rejects(extract([{ name: 'pw2', type: 'link', linkname: '../../../../../../etc/passwd' }]), UnsafeLayerError);
    await assert.rejects(
      extract([
        { name: 'out', type: 'symlink', linkname: '/etc' },
        { name: 'pw3', type: 'link', linkname: 'out/passwd' },
      ]),
      UnsafeLayerError,
    );
  });

  test('hard links inside the layer work', async () => {
    await extract([
      { name: 'a', content: 'data', mode: 0o600 },
      { name: 'b', type: 'link', linkname: 'a' },
    ]);
    assert.equal(fs.statSync(path.join(root, 'b')).ino, fs.statSync(path.join(root, 'a')).ino);
  });

  test('device nodes and fifos are not created', async () => {
    const r = await extract([
      { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0 },
      { name: 'dev/mem', type: 'character-device', devmajor: 1, devminor: 1 },
      { name: 'fifo', type: 'fifo' },
    ]);
    assert.deepEqual(r.skipped.sort(), ['dev/mem', 'dev/sda', 'fifo']);
    assert.equal(fs.existsSync(path.join(root, 'dev/sda')), false);
    assert.equal(fs.existsSync(path.join(root, 'dev/mem')), false);
  });

  test(
    'whiteouts: `.wh..` is rejected, others become overlay whiteouts and opaque dirs',
    { skip: !isRoot && 'needs root for mknod' },
    async () => {
      await assert.rejects(extract([{ name: 'x/.wh..', content: '' }]), UnsafeLayerError);
      await assert.rejects(extract([{ name: '../.wh.victim', content: '' }]), UnsafeLayerError);
      await extract([
        { name: 'etc/.wh.gone', content: '' },
        { name: 'opaque/', type: 'directory' },
        { name: 'opaque/.wh..wh..opq', content: '' },
      ]);
      const wh = fs.lstatSync(path.join(root, 'etc/gone'));
      assert.ok(wh.isCharacterDevice());
      assert.equal(wh.rdev, 0);
      const attr = execFileSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', path.join(root, 'opaque')], {
        encoding: 'utf8',
      });
      assert.equal(attr, 'y');
    },
  );

  test('trusted.* xattrs from the archive are not applied', { skip: !isRoot && 'needs root' }, async () => {
    await extract([{ name: 'f', content: 'x', pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y', 'SCHILY.xattr.user.ok': 'v' } }]);
    const dump = execFileSync('getfattr', ['-d', '-m', '-', path.join(root, 'f')], { encoding: 'utf8' });
    assert.match(dump, /user\.ok="v"/);
    assert.doesNotMatch(dump, /trusted/);
  });

  test(
    'times, opaque markers, whiteouts and xattrs applied at the end never go through a directory later replaced by a symlink',
    { skip: !isRoot && 'needs root' },
    async () => {
      const outside = path.join(sentinel, 'a', 'b', 'outside');
      fs.mkdirSync(path.join(outside, 'sub'), { recursive: true });
      fs.writeFileSync(path.join(outside, 'f'), 'host');
      const old = new Date('2001-01-01T00:00:00Z');
      fs.utimesSync(path.join(outside, 'sub'), old, old);
      const mtime = new Date('2020-01-02T03:04:05Z');
      await extract([
        { name: 'd/', type: 'directory', mtime },
        { name: 'd/sub/', type: 'directory', mtime },
        { name: 'd/f', content: 'x', pax: { 'SCHILY.xattr.user.evil': 'v' } },
        { name: 'd/sub/.wh..wh..opq', content: '' },
        { name: 'd/.wh.gone', content: '' },
        { name: 'd', type: 'symlink', linkname: outside },
      ]);
      assert.equal(fs.readlinkSync(path.join(root, 'd')), outside);
      assert.equal(fs.statSync(path.join(outside, 'sub')).mtime.getTime(), old.getTime(), 'no times set outside');
      assert.equal(fs.existsSync(path.join(outside, 'gone')), false, 'no whiteout outside');
      const dump = execFileSync('getfattr', ['-d', '-m', '-', path.join(outside, 'f'), path.join(outside, 'sub')], { encoding: 'utf8' });
      assert.doesNotMatch(dump, /evil|opaque/);
      fs.rmSync(path.join(sentinel, 'a', 'b', 'outside'), { recursive: true });
    },
  );

  test('a directory known from an earlier entry and then replaced by a symlink is resolved again', async () => {
    await extract([
      { name: 'd/', type: 'directory' },
      { name: 'd/x', content: '1' },
      { name: 'd', type: 'symlink', linkname: '../../../' },
      { name: 'd/y', content: '2' },
    ]);
    assert.equal(fs.readFileSync(path.join(root, 'y'), 'utf8'), '2');
  });

  test('a big file replaced by a symlink to outside while its content is still being written: nothing lands outside', async () => {
    const outside = path.join(sentinel, 'a', 'victim');
    const big = Buffer.alloc(48 << 20, 7); // more than the bytes the extraction lets wait for the disk
    const archive = await tarball([
      { name: 'f', content: big },
      { name: 'f', type: 'symlink', linkname: outside },
      { name: 'g', content: 'after' },
    ]);
    // fed in small pieces, as a socket delivers it
    const pieces = Array.from({ length: Math.ceil(archive.length / 65536) }, (_, i) => archive.subarray(i * 65536, (i + 1) * 65536));
    await extractLayer(Readable.from(pieces), root);
    assert.equal(fs.readlinkSync(path.join(root, 'f')), outside);
    assert.equal(fs.readFileSync(path.join(root, 'g'), 'utf8'), 'after');
    assert.equal(fs.existsSync(outside), false);
  });

  test('many files fed in odd-sized pieces keep their bytes, modes and times', async () => {
    const mtime = new Date('2021-05-06T07:08:09Z');
    const files = Array.from({ length: 300 }, (_, i) => ({
      name: `d${i % 7}/f${i}`,
      content: Buffer.from(Array.from({ length: (i * 997) % 200_000 }, (_, j) => (i + j * 31) & 0xff)),
      mode: 0o600 + (i % 0o100),
      mtime: new Date(mtime.getTime() + i * 1000),
    }));
    const archive = await tarball(files);
    const pieces = Array.from({ length: Math.ceil(archive.length / 7001) }, (_, i) => archive.subarray(i * 7001, (i + 1) * 7001));
    const result = await extractLayer(Readable.from(pieces), root);
    assert.equal(result.entries, files.length);
    for (const f of files) {
      const host = path.join(root, f.name);
      assert.ok(fs.readFileSync(host).equals(f.content), `${f.name} content`);
      const st = fs.statSync(host);
      assert.equal(st.mode & 0o777, f.mode, `${f.name} mode`);
      assert.equal(st.mtime.getTime(), f.mtime.getTime(), `${f.name} mtime`);
    }
  });

  test('very long names fail cleanly', async () => {
    await assert.rejects(extract([{ name: 'a'.repeat(300), content: 'x' }]), /ENAMETOOLONG/);
    await assert.rejects(extract([{ name: 'x/' + '../'.repeat(2000) + 'y', content: 'x' }]), UnsafeLayerError);
  });

  test('ownership, mode, mtime and setuid are applied', { skip: !isRoot && 'needs root' }, async () => {
    const mtime = new Date('2020-01-02T03:04:05Z');
    await extract([
      { name: 'bin/', type: 'directory', mode: 0o711, mtime },
      { name: 'bin/su', content: '#!', mode: 0o4755, uid: 0, gid: 0, mtime },
      { name: 'home/u/file', content: 'x', mode: 0o600, uid: 1234, gid: 5678, mtime },
    ]);
    const su = fs.statSync(path.join(root, 'bin/su'));
    assert.equal(su.mode & 0o7777, 0o4755);
    assert.equal(su.mtime.getTime(), mtime.getTime());
    const dir = fs.statSync(path.join(root, 'bin'));
    assert.equal(dir.mode & 0o777, 0o711);
    assert.equal(dir.mtime.getTime(), mtime.getTime());
    const f = fs.statSync(path.join(root, 'home/u/file'));
    assert.equal(f.uid, 1234);
    assert.equal(f.gid, 5678);
  });
});
