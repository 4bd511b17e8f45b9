// Hostile-input-safe layer extraction into one directory that later serves as an overlayfs lower dir.
// Every entry path is resolved component by component inside the root: symlinks met on the way are
// followed as if the root were `/` (chroot semantics), so nothing is ever created or written outside it.
// Whiteouts become overlayfs whiteouts (0/0 char device, `trusted.overlay.opaque=y` on opaque dirs).
//
// Speed (a 600 MB, 30k-file rootfs): the root is written only by this extraction while it runs (the by-path
// trust model of resolveInRoot), so
// - by-path fs calls are synchronous, in archive order: each is cheaper than the thread-pool round trip an async
//   call costs, and the gunzip / hashing upstream keeps running in the pool meanwhile;
// - a file's contents and metadata go through the descriptor it was created with (O_EXCL|O_NOFOLLOW); those of
//   big files on the thread pool (FileSink) while this thread goes on with the next entries;
// - the directories this extraction created or verified (real directories, inside the root) are remembered
//   by archive path: an entry under one of them costs no path walk. Removing a directory or a symlink (the
//   only ways an earlier resolution can change) forgets them all;
// - whiteouts (no mknod in node) and xattrs (no setxattr) are collected and applied at the end by one
//   process each (GNU tar for the 0/0 character devices, `setfattr --restore` for xattrs), after every
//   collected path is checked again to lie under real directories of the root.
import { execFile } from 'node:child_process';
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  linkSync,
  lchownSync,
  chmodSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import tar from 'tar-stream';
import { resolveInRoot, resolvePartsInRootSync, safeComponents, UnsafePathError } from '../fs/in-root.js';
import { FileSink } from './file-sink.js';

export { resolveInRoot, safeComponents, UnsafePathError as UnsafeLayerError };
const UnsafeLayerError = UnsafePathError;

const run = promisify(execFile);
const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
/** xattrs a layer may carry; trusted.* (overlay metadata) and others could forge filesystem semantics. */
const ALLOWED_XATTR = /^(user\.|security\.capability$)/;
const FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** Files this big are written on the thread pool (FileSink); smaller ones here, where a write costs less than
 *  the round trips (in a Debian rootfs, 6% of the files and 82% of the bytes). */
const POOLED_FILE_SIZE = 64 << 10;

export interface ExtractResult {
  entries: number;
  skipped: string[];
}

export interface ExtractOptions {
  /** apply uid/gid from the archive (default: when running as root) */
  applyOwnership?: boolean;
}

export async function setXattr(target: string, name: string, value: Buffer): Promise<void> {
  await run('setfattr', ['-h', '-n', name, '-v', '0x' + value.toString('hex'), target]);
}

export async function markOpaque(dir: string): Promise<void> {
  await setXattr(dir, 'trusted.overlay.opaque', Buffer.from('y'));
}

interface Deferred {
  host: string;
  gen: number;
}

/** The state of one extraction: known directories, and what is applied at the end. */
class Extraction {
  /** archive path of a directory ('' the root) -> its host path: a real directory inside the root */
  private readonly dirs = new Map<string, string>();
  /** bumped whenever a directory or a symlink is removed: host paths recorded before may now cross a symlink */
  private gen = 0;
  readonly dirTimes: (Deferred & { mtime: Date })[] = [];
  readonly whiteouts: Deferred[] = [];
  readonly opaque: Deferred[] = [];
  readonly xattrs: (Deferred & { name: string; value: Buffer })[] = [];

  constructor(readonly root: string) {
    this.dirs.set('', root);
  }

  /** The host path of the directory holding `parts` (created when missing), resolved inside the root. */
  parentOf(parts: string[]): string {
    const key = parts.length === 1 ? '' : parts.slice(0, -1).join('/');
    const known = this.dirs.get(key);
    if (known !== undefined) return known;
    const host = path.join(this.root, ...resolvePartsInRootSync(this.root, parts.slice(0, -1), { createDirs: true }).parts);
    if (lstatSync(host, { throwIfNoEntry: false })?.isDirectory()) this.dirs.set(key, host);
    return host;
  }

  /** The host path of an existing entry's parent (hard link sources), or undefined. */
  existingParentOf(parts: string[]): string | undefined {
    const key = parts.length === 1 ? '' : parts.slice(0, -1).join('/');
    const known = this.dirs.get(key);
    if (known !== undefined) return known;
    try {
      return path.join(this.root, ...resolvePartsInRootSync(this.root, parts.slice(0, -1)).parts);
    } catch {
      return undefined;
    }
  }

  rememberDir(parts: string[], host: string): void {
    this.dirs.set(parts.join('/'), host);
  }

  private forget(): void {
    this.dirs.clear();
    this.dirs.set('', this.root);
    this.gen++;
  }

  removeExisting(target: string, keepDir: boolean): void {
    const st = lstatSync(target, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) {
      if (keepDir) return;
      rmSync(target, { recursive: true, force: true }); // never follows symlinks inside
      this.forget();
    } else {
      unlinkSync(target);
      if (st.isSymbolicLink()) this.forget();
    }
  }

  defer(host: string): Deferred {
    return { host, gen: this.gen };
  }

  /** Whether `d.host` still lies under real directories of the root (always so when nothing was removed since). */
  stillInside(d: Deferred): boolean {
    if (d.gen === this.gen) return true;
    const rel = path.relative(this.root, d.host);
    if (rel === '') return true;
    const parts = rel.split('/');
    if (parts[0] === '..') return false;
    let cur = this.root;
    for (const part of parts.slice(0, -1)) {
      cur = path.join(cur, part);
      if (!lstatSync(cur, { throwIfNoEntry: false })?.isDirectory()) return false;
    }
    return true;
  }

  makeDir(target: string): void {
    try {
      mkdirSync(target, { mode: 0o755 });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    this.removeExisting(target, true);
    try {
      mkdirSync(target, { mode: 0o755 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }

  createFile(target: string): number {
    try {
      return openSync(target, FILE_FLAGS, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    this.removeExisting(target, false);
    return openSync(target, FILE_FLAGS, 0o600);
  }

  makeSymlink(linkname: string, target: string): void {
    try {
      symlinkSync(linkname, target);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    this.removeExisting(target, false);
    symlinkSync(linkname, target);
  }

  collectXattrs(target: string, h: tar.Header): void {
    const pax = h.pax as Record<string, string> | undefined;
    if (!pax) return;
    for (const [key, value] of Object.entries(pax)) {
      if (!key.startsWith('SCHILY.xattr.')) continue;
      const name = key.slice('SCHILY.xattr.'.length);
      if (ALLOWED_XATTR.test(name)) this.xattrs.push({ ...this.defer(target), name, value: Buffer.from(value, 'latin1') });
    }
  }

  /** Whiteouts, directory times, then xattrs (after every chown: chown clears security.capability). */
  async finish(): Promise<void> {
    const whiteouts = this.whiteouts.filter((w) => this.stillInside(w) && !lstatSync(w.host, { throwIfNoEntry: false }));
    if (whiteouts.length)
      await makeWhiteouts(
        this.root,
        whiteouts.map((w) => path.relative(this.root, w.host)),
      );
    // directory mtimes last: creating children changes them. A later entry may have replaced the directory
    // with a symlink: lutimes never follows it (and a symlink keeps the times its own entry gave it).
    for (let i = this.dirTimes.length - 1; i >= 0; i--) {
      const d = this.dirTimes[i]!;
      if (this.stillInside(d) && lstatSync(d.host, { throwIfNoEntry: false })?.isDirectory()) {
        try {
          lutimesSync(d.host, d.mtime, d.mtime);
        } catch {
          /* as before: best effort */
        }
      }
    }
    const opaque = this.opaque.filter((o) => this.stillInside(o) && lstatSync(o.host, { throwIfNoEntry: false })?.isDirectory());
    if (opaque.length)
      await restoreXattrs(
        opaque.map((o) => ({ host: o.host, name: 'trusted.overlay.opaque', value: Buffer.from('y') })),
        true,
      );
    const xattrs = this.xattrs.filter((x) => this.stillInside(x) && lstatSync(x.host, { throwIfNoEntry: false }));
    if (xattrs.length) await restoreXattrs(xattrs, false);
  }
}

/** `setfattr --restore` quoting of a path: every byte outside printable ASCII, and `\`, as \ooo. */
function quotePath(p: string): string {
  let out = '';
  for (const b of Buffer.from(p, 'utf8'))
    out += b <= 0x20 || b >= 0x7f || b === 0x5c ? '\\' + b.toString(8).padStart(3, '0') : String.fromCharCode(b);
  return out;
}

/** Sets many xattrs with one `setfattr -h --restore` (never following a final symlink). */
async function restoreXattrs(items: { host: string; name: string; value: Buffer }[], strict: boolean): Promise<void> {
  const byFile = new Map<string, string[]>();
  for (const x of items) {
    const lines = byFile.get(x.host) ?? [];
    lines.push(`${x.name}=0x${x.value.toString('hex')}`);
    byFile.set(x.host, lines);
  }
  const dump = [...byFile].map(([host, lines]) => `# file: ${quotePath(host)}\n${lines.join('\n')}\n`).join('\n');
  try {
    await runWithInput('setfattr', ['-h', '--restore=-'], Buffer.from(dump));
  } catch (err) {
    if (strict) throw err;
  }
}

/** Creates overlayfs whiteouts (0/0 character devices, mode 0) at `rels` (under real directories of `root`,
 *  nothing there) with one GNU tar: node has no mknod. */
async function makeWhiteouts(root: string, rels: string[]): Promise<void> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  for (const name of rels)
    pack.entry({ name, type: 'character-device', devmajor: 0, devminor: 0, mode: 0, uid: 0, gid: 0, mtime: new Date(0) });
  pack.finalize();
  await new Promise<void>((resolve, reject) => {
    pack.on('end', () => resolve());
    pack.on('error', (e: unknown) => reject(e));
  });
  await runWithInput('tar', ['-x', '-C', root, '--no-overwrite-dir', '--numeric-owner', '-f', '-'], Buffer.concat(chunks));
}

function runWithInput(cmd: string, args: string[], input: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { maxBuffer: 1 << 20 }, (err, _out, stderr) => {
      if (err) reject(new Error(`${cmd} failed: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
    child.stdin!.on('error', () => {});
    child.stdin!.end(input);
  });
}

export async function extractLayer(source: Readable, root: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const applyOwnership = opts.applyOwnership ?? process.getuid?.() === 0;
  const extract = tar.extract();
  const result: ExtractResult = { entries: 0, skipped: [] };
  await fs.mkdir(root, { recursive: true });
  const realRoot = await fs.realpath(root);
  const x = new Extraction(realRoot);

  const feeding = pipeline(source, extract).catch((err: Error) => {
    extract.destroy(err);
  });
  const sink = new FileSink();
  try {
    await extractEntries(extract, x, sink, result, applyOwnership);
    await sink.drain();
  } catch (err) {
    await sink.settle(); // no descriptor left open, no write still landing, when the caller removes the root
    throw err;
  }
  await feeding;
  await x.finish();
  return result;
}

function writeAll(fd: number, chunk: Buffer): void {
  let off = 0;
  while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
}

async function extractEntries(
  extract: tar.Extract,
  x: Extraction,
  sink: FileSink,
  result: ExtractResult,
  applyOwnership: boolean,
): Promise<void> {
  const realRoot = x.root;
  for await (const entry of extract) {
    const h = entry.header;
    result.entries++;
    const parts = safeComponents(h.name);
    if (parts.length === 0) {
      // the root itself
      if (h.type === 'directory') x.dirTimes.push({ ...x.defer(realRoot), mtime: h.mtime ?? new Date(0) });
      entry.resume();
      continue;
    }
    const base = parts[parts.length - 1]!;
    const parent = x.parentOf(parts);

    if (base.startsWith(WHITEOUT_PREFIX)) {
      entry.resume();
      if (base === OPAQUE_MARKER) x.opaque.push(x.defer(parent));
      else if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX))
        result.skipped.push(h.name); // aufs metadata
      else {
        const hidden = base.slice(WHITEOUT_PREFIX.length);
        if (hidden === '' || hidden === '.' || hidden === '..')
          throw new UnsafeLayerError(`layer entry "${h.name}" is an invalid whiteout`);
        const target = path.join(parent, hidden);
        x.removeExisting(target, false);
        x.whiteouts.push(x.defer(target));
      }
      continue;
    }

    const target = path.join(parent, base);
    const mtime = h.mtime ?? new Date(0);
    switch (h.type) {
      case 'directory':
        entry.resume();
        x.makeDir(target);
        if (applyOwnership) lchownSync(target, h.uid ?? 0, h.gid ?? 0);
        chmodSync(target, (h.mode ?? 0o755) & 0o7777); // after chown: it clears setuid
        x.rememberDir(parts, target);
        x.dirTimes.push({ ...x.defer(target), mtime });
        break;
      case 'file':
      case 'contiguous-file': {
        const meta = { uid: h.uid, gid: h.gid, mode: (h.mode ?? 0o644) & 0o7777, mtime };
        if ((h.size ?? 0) >= POOLED_FILE_SIZE) {
          await sink.room();
          await sink.file(x.createFile(target), entry as AsyncIterable<Buffer>, meta, applyOwnership);
          break;
        }
        const fd = x.createFile(target);
        try {
          for await (const chunk of entry) writeAll(fd, chunk as Buffer);
          if (applyOwnership) fchownSync(fd, meta.uid ?? 0, meta.gid ?? 0);
          fchmodSync(fd, meta.mode); // after chown: it clears setuid
          futimesSync(fd, mtime, mtime);
        } finally {
          closeSync(fd);
        }
        break;
      }
      case 'symlink':
        entry.resume();
        x.makeSymlink(h.linkname ?? '', target);
        if (applyOwnership) lchownSync(target, h.uid ?? 0, h.gid ?? 0);
        lutimesSync(target, mtime, mtime);
        break;
      case 'link': {
        entry.resume();
        const linkParts = safeComponents(h.linkname ?? '');
        if (linkParts.length === 0) throw new UnsafeLayerError(`hard link "${h.name}" has no target`);
        const linkParent = x.existingParentOf(linkParts);
        const source = linkParent && path.join(linkParent, linkParts[linkParts.length - 1]!);
        const st = source ? lstatSync(source, { throwIfNoEntry: false }) : undefined;
        if (!source || !st || st.isDirectory())
          throw new UnsafeLayerError(`hard link "${h.name}" points to "${h.linkname}", which is not a file inside the layer`);
        x.removeExisting(target, false);
        linkSync(source, target);
        continue; // a hard link shares the metadata of its source
      }
      default: // devices, fifos: not allowed in layers we unpack
        entry.resume();
        result.skipped.push(h.name);
        continue;
    }
    x.collectXattrs(target, h);
  }
}
