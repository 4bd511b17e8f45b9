// GET/PUT/HEAD /containers/{id}/archive: tar archives of paths inside the container's filesystem (docker cp).
// The container may be running and changing its own filesystem meanwhile (its root is then /proc/<pid>/root):
// every path is resolved inside that root by directory descriptors (src/engine/fs/in-root.ts), so a symlink in
// the container, absolute (`/x -> /tmp/victim`) or relative, always means a path of the container, never one of
// the host, and nothing is read or written through a symlink the container swaps in during the copy.
// Docker's semantics: the final component of a path is not followed unless the path ends in `/` or `/.`;
// a PUT extracts into the directory the path names (its symlinks followed, inside the root).
import { constants } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { streamToClient } from '../stream-to-client.js';
import tar from 'tar-stream';
import { EngineError, invalid } from '../errors.js';
import {
  at,
  chrootComponents,
  createFileAt,
  followsFinalLink,
  lstatAt,
  mkdirAt,
  openDirInRoot,
  removeAt,
  resolvePartsInRoot,
  safeComponents,
  symlinkAt,
  UnsafePathError,
} from '../fs/in-root.js';

const O_DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** Where `p` is: its parent directory (open) and final name, or, when the path follows its final link,
 *  the directory it names itself (base undefined). */
interface Located {
  dir: FileHandle;
  base?: string;
  parts: string[];
  name: string;
}

/** The name Docker gives the path (Go's filepath.Base of the absolute path, trailing `/.` kept). */
function displayName(p: string): string {
  if (p.endsWith('/.') || p === '.') return '.';
  return path.posix.basename(path.posix.normalize('/' + p)) || '/';
}

/** A path that is not in the container; the API names the container (Docker's "Could not find the file … in container <id>"). */
export class MissingPathError extends EngineError {
  constructor(readonly path: string) {
    super('not-found', `Could not find the file ${path} in container`);
  }
}

function fsError(err: unknown, p: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new MissingPathError(p);
  if (err instanceof UnsafePathError) return invalid(`${err.message}: ${p}`);
  return err as Error;
}

async function locate(rootfs: string, p: string): Promise<Located> {
  const parts = chrootComponents(p);
  const name = displayName(p);
  try {
    if (parts.length === 0 || followsFinalLink(p)) {
      const { dir, parts: resolved } = await openDirInRoot(rootfs, parts);
      return { dir, parts: resolved, name };
    }
    const { dir, parts: resolved } = await openDirInRoot(rootfs, parts.slice(0, -1));
    return { dir, base: parts[parts.length - 1]!, parts: resolved, name };
  } catch (err) {
    throw fsError(err, p);
  }
}

async function lstatLocated(l: Located, p: string) {
  const st = l.base === undefined ? await l.dir.stat() : await lstatAt(l.dir, l.base);
  if (!st) throw new MissingPathError(p);
  return st;
}

/** A path inside the rootfs, resolved like a chroot would (string form, for tests and callers that only read). */
export async function containerPath(rootfs: string, p: string): Promise<string> {
  const parts = chrootComponents(p);
  const resolved = await resolvePartsInRoot(rootfs, parts, { followLast: followsFinalLink(p) });
  return path.join(rootfs, ...resolved);
}

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

// Go's os.FileMode bits, which the docker CLI decodes.
const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;

export async function statPath(rootfs: string, p: string): Promise<PathStat> {
  const l = await locate(rootfs, p);
  try {
    const st = await lstatLocated(l, p);
    const mode = (st.mode & 0o7777) + (st.isDirectory() ? GO_MODE_DIR : 0) + (st.isSymbolicLink() ? GO_MODE_SYMLINK : 0);
    let linkTarget = '';
    if (st.isSymbolicLink()) {
      // Docker reports the link fully evaluated inside the container, as an absolute container path
      const full = await resolvePartsInRoot(rootfs, [...l.parts, l.base!]).catch(() => undefined);
      linkTarget = full ? '/' + full.join('/') : await fs.readlink(at(l.dir, l.base!));
    }
    return { name: l.name, size: st.size, mode, mtime: st.mtime.toISOString(), linkTarget };
  } finally {
    await l.dir.close();
  }
}

export async function packPath(rootfs: string, p: string, out: Writable): Promise<void> {
  const l = await locate(rootfs, p);
  const pack = tar.pack();
  const header = (st: import('node:fs').Stats, name: string) => ({
    name,
    mode: st.mode & 0o7777,
    mtime: st.mtime,
    uid: st.uid,
    gid: st.gid,
  });
  const addDir = async (dir: FileHandle, name: string, st: import('node:fs').Stats): Promise<void> => {
    pack.entry({ ...header(st, name), type: 'directory' });
    for (const child of (await fs.readdir(at(dir))).sort()) await add(dir, child, `${name}/${child}`);
  };
  // `child` of the open directory `dir`, never through a symlink: directories and files are opened O_NOFOLLOW
  const add = async (dir: FileHandle, child: string, name: string): Promise<void> => {
    const st = await lstatAt(dir, child);
    if (!st) return; // removed meanwhile
    if (st.isDirectory()) {
      const sub = await fs.open(at(dir, child), O_DIR).catch(() => undefined);
      if (!sub) return; // swapped meanwhile
      try {
        await addDir(sub, name, st);
      } finally {
        await sub.close();
      }
    } else if (st.isSymbolicLink()) {
      pack.entry({ ...header(st, name), type: 'symlink', linkname: await fs.readlink(at(dir, child)) });
    } else if (st.isFile()) {
      const fh = await fs.open(at(dir, child), constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
      if (!fh) return;
      const fst = await fh.stat();
      if (!fst.isFile()) {
        await fh.close();
        return;
      }
      await new Promise<void>((resolve, reject) => {
        const done = (err?: Error | null) => (err ? reject(err) : resolve());
        if (fst.size === 0) {
          pack.entry({ ...header(fst, name), type: 'file', size: 0 }, '', done);
          return;
        }
        const entry = pack.entry({ ...header(fst, name), type: 'file', size: fst.size }, done);
        // a client that goes away destroys the pack and with it this entry: its error must have a listener here,
        // or pipe() re-emits it unhandled and the engine process ends
        entry.on('error', reject);
        fh.createReadStream({ start: 0, end: fst.size - 1, autoClose: false })
          .on('error', reject)
          .pipe(entry);
      }).finally(() => fh.close().catch(() => {}));
    }
  };
  await streamToClient(pack, out, async () => {
    try {
      const base = l.name === '/' ? '.' : l.name;
      if (l.base === undefined) await addDir(l.dir, base, await l.dir.stat());
      else await add(l.dir, l.base, base);
    } finally {
      await l.dir.close();
    }
    pack.finalize();
  });
}

export interface ExtractOptions {
  /** Docker's noOverwriteDirNonDir (the docker CLI always asks for it): refuse to replace a directory with a
   *  non-directory or the other way round, instead of replacing */
  noOverwriteDirNonDir?: boolean;
}

export async function extractInto(rootfs: string, p: string, input: Readable, opts: ExtractOptions = {}): Promise<void> {
  let dest: { dir: FileHandle; parts: string[] };
  try {
    dest = await openDirInRoot(rootfs, chrootComponents(p));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') throw invalid(`extraction point is not a directory: ${p}`);
    throw fsError(err, p);
  }
  await dest.dir.close();
  const extract = tar.extract();
  input.pipe(extract);
  try {
    for await (const entry of extract) {
      try {
        await extractEntry(rootfs, dest.parts, entry, opts);
      } catch (err) {
        entry.resume();
        if (err instanceof UnsafePathError) throw invalid(`invalid tar entry "${entry.header.name}": ${err.message}`);
        throw err;
      }
    }
  } catch (err) {
    input.unpipe(extract);
    input.resume();
    throw err;
  }
}

async function extractEntry(
  rootfs: string,
  destParts: string[],
  entry: AsyncIterable<unknown> & { header: tar.Header; resume(): unknown },
  opts: ExtractOptions,
): Promise<void> {
  const h = entry.header;
  const parts = safeComponents(h.name); // `..` out of the extraction directory is refused, as Docker does
  if (parts.length === 0) {
    entry.resume();
    return;
  } // the extraction directory itself
  const base = parts[parts.length - 1]!;
  const { dir } = await openDirInRoot(rootfs, [...destParts, ...parts.slice(0, -1)], { createDirs: true });
  try {
    const existing = await lstatAt(dir, base);
    if (opts.noOverwriteDirNonDir && existing) {
      const shown = '/' + [...destParts, ...parts].join('/');
      if (existing.isDirectory() && h.type !== 'directory')
        throw invalid(`cannot overwrite directory "${shown}" with non-directory "${h.name}"`);
      if (!existing.isDirectory() && h.type === 'directory')
        throw invalid(`cannot overwrite non-directory "${shown}" with directory "${h.name}"`);
    }
    const mode = (h.mode ?? 0o644) & 0o7777;
    const mtime = h.mtime ?? new Date();
    const owned = h.uid !== undefined && h.gid !== undefined;
    if (h.type === 'directory') {
      entry.resume();
      const d = existing?.isDirectory() ? await fs.open(at(dir, base), O_DIR) : await mkdirAt(dir, base, 0o755);
      try {
        if (owned) await d.chown(h.uid!, h.gid!).catch(() => {});
        if (h.mode) await d.chmod(mode);
        await d.utimes(mtime, mtime);
      } finally {
        await d.close();
      }
    } else if (h.type === 'file' || h.type === 'contiguous-file') {
      const f = await createFileAt(dir, base, 0o600);
      try {
        for await (const chunk of entry) {
          // (a stream pipeline to the handle leaves tar-stream's iterator waiting)
          const b = chunk as Buffer;
          for (let off = 0; off < b.length;) off += (await f.write(b, off, b.length - off)).bytesWritten;
        }
        if (owned) await f.chown(h.uid!, h.gid!).catch(() => {});
        await f.chmod(mode); // after chown: it clears setuid
        await f.utimes(mtime, mtime);
      } finally {
        await f.close();
      }
    } else if (h.type === 'symlink') {
      entry.resume();
      await symlinkAt(dir, base, h.linkname ?? '');
      if (owned) await fs.lchown(at(dir, base), h.uid!, h.gid!).catch(() => {});
      await fs.lutimes(at(dir, base), mtime, mtime).catch(() => {});
    } else if (h.type === 'link') {
      entry.resume();
      const linkParts = safeComponents(h.linkname ?? '');
      if (linkParts.length === 0) throw new UnsafePathError(`hard link "${h.name}" has no target`);
      const src = await openDirInRoot(rootfs, [...destParts, ...linkParts.slice(0, -1)]);
      try {
        await removeAt(dir, base);
        await fs.link(at(src.dir, linkParts[linkParts.length - 1]!), at(dir, base)); // link(2) does not follow a symlink
      } finally {
        await src.dir.close();
      }
    } else {
      entry.resume(); // devices, fifos: not created by docker cp here
    }
  } finally {
    await dir.close();
  }
}
