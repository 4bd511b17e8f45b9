// GET/PUT/HEAD /containers/{id}/archive: tar archives of paths inside the container's filesystem (docker cp).
import { createReadStream, createWriteStream, lstatSync, readlinkSync } from 'node:fs';
import { lstat, mkdir, readdir, readlink, symlink, rm, chmod, link, utimes, lchown } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { streamToClient } from '../stream-to-client.js';
import tar from 'tar-stream';
import { badRequest, notFound } from '../api/http.js';

/** A path inside the rootfs, resolved like a chroot would: "..", and symlinks in the parent directories
 *  (absolute ones included), can never lead outside the rootfs. The last component is not followed. */
export function containerPath(rootfs: string, p: string): string {
  const parts = path.posix.normalize('/' + p).split('/').filter(Boolean);
  const last = parts.pop();
  let resolved: string[] = [];
  let hops = 0;
  const queue = [...parts];
  while (queue.length) {
    const part = queue.shift()!;
    if (part === '.' || part === '') continue;
    if (part === '..') { resolved.pop(); continue; }
    const candidate = path.join(rootfs, ...resolved, part);
    let target: string | undefined;
    try { if (lstatSync(candidate).isSymbolicLink()) target = readlinkSync(candidate); } catch { /* missing: keep the name */ }
    if (target === undefined) { resolved.push(part); continue; }
    if (++hops > 40) throw badRequest(`too many levels of symbolic links: ${p}`);
    if (target.startsWith('/')) resolved = [];
    queue.unshift(...target.split('/').filter(Boolean));
  }
  // the root itself with a trailing slash: a running container's root is the magic link /proc/<pid>/root
  if (!resolved.length && !last) return `${path.join(rootfs)}/`;
  return path.join(rootfs, ...resolved, ...(last ? [last] : []));
}

export interface PathStat { name: string; size: number; mode: number; mtime: string; linkTarget: string }

// Go's os.FileMode bits, which the docker CLI decodes.
const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;

export async function statPath(rootfs: string, p: string): Promise<PathStat> {
  const full = containerPath(rootfs, p);
  let st;
  try { st = await lstat(full); } catch { throw notFound(`Could not find the file ${p} in container`); }
  const mode = (st.mode & 0o7777) + (st.isDirectory() ? GO_MODE_DIR : 0) + (st.isSymbolicLink() ? GO_MODE_SYMLINK : 0);
  return {
    name: path.posix.basename(path.posix.normalize('/' + p)) || '/', size: st.size, mode, mtime: st.mtime.toISOString(),
    linkTarget: st.isSymbolicLink() ? await readlink(full) : '',
  };
}

export async function packPath(rootfs: string, p: string, out: Writable): Promise<void> {
  const full = containerPath(rootfs, p);
  const base = path.posix.basename(path.posix.normalize('/' + p)) || '.';
  const pack = tar.pack();
  const add = async (abs: string, name: string): Promise<void> => {
    const st = await lstat(abs);
    const header = { name, mode: st.mode & 0o7777, mtime: st.mtime, uid: st.uid, gid: st.gid };
    if (st.isDirectory()) {
      pack.entry({ ...header, type: 'directory' });
      for (const child of (await readdir(abs)).sort()) await add(path.join(abs, child), `${name}/${child}`);
    } else if (st.isSymbolicLink()) {
      pack.entry({ ...header, type: 'symlink', linkname: await readlink(abs) });
    } else if (st.isFile()) {
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ ...header, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
        createReadStream(abs).on('error', reject).pipe(entry);
      });
    }
  };
  await streamToClient(pack, out, async () => {
    await add(full, base);
    pack.finalize();
  });
}

export async function extractInto(rootfs: string, p: string, input: Readable): Promise<void> {
  const dest = containerPath(rootfs, p);
  let st;
  try { st = await lstat(dest); } catch { throw notFound(`Could not find the file ${p} in container`); }
  if (!st.isDirectory()) throw badRequest(`extraction point is not a directory: ${p}`);
  const extract = tar.extract();
  input.pipe(extract);
  for await (const entry of extract) {
    const h = entry.header;
    const target = containerPath(rootfs, path.posix.join(p, h.name)); // never through a symlink out of the rootfs
    await mkdir(path.dirname(target), { recursive: true });
    if (h.type === 'directory') {
      await mkdir(target, { recursive: true });
      if (h.mode) await chmod(target, h.mode);
      entry.resume();
    } else if (h.type === 'symlink') {
      await rm(target, { force: true, recursive: true });
      await symlink(h.linkname ?? '', target);
      entry.resume();
    } else if (h.type === 'link') {
      await rm(target, { force: true });
      await link(containerPath(rootfs, path.posix.join(p, h.linkname ?? '')), target);
      entry.resume();
    } else if (h.type === 'file' || h.type === 'contiguous-file') {
      await rm(target, { force: true, recursive: true });
      await pipeline(entry, createWriteStream(target, { mode: h.mode ?? 0o644 }));
      if (h.mode) await chmod(target, h.mode);
      if (h.mtime) await utimes(target, h.mtime, h.mtime);
    } else {
      entry.resume();
      continue;
    }
    if (h.uid !== undefined && h.gid !== undefined) await lchown(target, h.uid, h.gid).catch(() => {});
  }
}
