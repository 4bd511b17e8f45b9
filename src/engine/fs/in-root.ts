// Paths inside a root directory (an image layer, a build stage, a container's filesystem), resolved as if the
// process were chrooted into it: `..` stops at the root and symlinks met on the way, absolute or relative, are
// followed inside the root, the way moby's symlink.FollowSymlinkInScope or openat2(RESOLVE_IN_ROOT) do.
//
// Two flavours:
// - resolveInRoot(): by path strings, for roots only the engine writes to while it works (a layer being
//   unpacked, a build step's staging dir). Cheap: one lstat per component, no descriptors.
// - openDirInRoot() and the *At helpers: by directory descriptors, for roots something else may change at the
//   same time (a running container). Each component is opened with O_NOFOLLOW|O_DIRECTORY relative to the
//   previous one (through /proc/self/fd/N), so a directory swapped for a symlink mid-walk is seen as a symlink
//   and resolved in the root again, never followed by the kernel; final components are created or opened with
//   O_NOFOLLOW (O_EXCL for files) and their metadata set through the descriptor.
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export const MAX_SYMLINK_HOPS = 40;

export class UnsafePathError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Splits an archive path into clean components; throws when `..` would climb above the root. */
export function safeComponents(name: string): string[] {
  if (name.includes('\0')) throw new UnsafePathError(`path "${name}" contains a NUL byte`);
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw new UnsafePathError(`path "${name}" points outside its root`);
      out.pop();
    } else out.push(part);
  }
  return out;
}

/** Components of a path inside a root as a chroot sees it: `..` at the root stays at the root. */
export function chrootComponents(p: string): string[] {
  if (p.includes('\0')) throw new UnsafePathError(`path "${p}" contains a NUL byte`);
  return path.posix
    .normalize('/' + p)
    .split('/')
    .filter(Boolean);
}

/** A trailing `/` or `/.` asks for the final symlink to be followed (Docker's archive path semantics). */
export function followsFinalLink(p: string): boolean {
  return p.endsWith('/') || p.endsWith('/.') || p === '.';
}

export interface ResolveOptions {
  /** create missing components as directories (0755) */
  createDirs?: boolean;
  /** called after creating a directory, with its host path and its components inside the root */
  onCreate?: (hostPath: string, parts: string[]) => Promise<void>;
  /** follow a symlink in the final component (default true) */
  followLast?: boolean;
}

/** Resolves `components` inside `root`; returns the resolved components (no symlink left among them, except
 *  the final one when followLast is false). */
export async function resolvePartsInRoot(root: string, components: string[], opts: ResolveOptions = {}): Promise<string[]> {
  const followLast = opts.followLast ?? true;
  const stack: string[] = [];
  const pending = [...components];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      stack.pop();
      continue;
    }
    const isLast = !pending.some((p) => p !== '' && p !== '.');
    const candidate = path.join(root, ...stack, part);
    let st;
    try {
      st = await fs.lstat(candidate);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (isLast && !opts.createDirs) {
        stack.push(part);
        return stack;
      } // a missing final component is the caller's to create or report
      if (!opts.createDirs) throw err;
      await fs.mkdir(candidate, { mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
      stack.push(part);
      await opts.onCreate?.(candidate, [...stack]);
      continue;
    }
    if (st.isSymbolicLink() && (followLast || !isLast)) {
      if (++hops > MAX_SYMLINK_HOPS)
        throw new UnsafePathError(`too many levels of symbolic links below /${[...stack, part].join('/')}`, 'ELOOP');
      const target = await fs.readlink(candidate);
      if (target.startsWith('/')) stack.length = 0;
      pending.unshift(...target.split('/'));
      continue;
    }
    if (!st.isDirectory() && !isLast) throw new UnsafePathError(`"/${[...stack, part].join('/')}" is not a directory`, 'ENOTDIR');
    stack.push(part);
  }
  return stack;
}

/** resolvePartsInRoot, synchronously (for tight loops such as layer extraction, where a thread-pool trip per
 *  lstat costs more than the lstat). `linked` says whether a symlink was followed on the way. */
export function resolvePartsInRootSync(
  root: string,
  components: string[],
  opts: { createDirs?: boolean; followLast?: boolean } = {},
): { parts: string[]; linked: boolean } {
  const followLast = opts.followLast ?? true;
  const stack: string[] = [];
  const pending = [...components];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      stack.pop();
      continue;
    }
    const isLast = !pending.some((p) => p !== '' && p !== '.');
    const candidate = path.join(root, ...stack, part);
    const st = lstatSync(candidate, { throwIfNoEntry: false });
    if (!st) {
      if (isLast && !opts.createDirs) {
        stack.push(part);
        return { parts: stack, linked: hops > 0 };
      }
      if (!opts.createDirs) throw Object.assign(new Error(`ENOENT: no such file or directory, lstat '${candidate}'`), { code: 'ENOENT' });
      try {
        mkdirSync(candidate, { mode: 0o755 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      stack.push(part);
      continue;
    }
    if (st.isSymbolicLink() && (followLast || !isLast)) {
      if (++hops > MAX_SYMLINK_HOPS)
        throw new UnsafePathError(`too many levels of symbolic links below /${[...stack, part].join('/')}`, 'ELOOP');
      const target = readlinkSync(candidate);
      if (target.startsWith('/')) stack.length = 0;
      pending.unshift(...target.split('/'));
      continue;
    }
    if (!st.isDirectory() && !isLast) throw new UnsafePathError(`"/${[...stack, part].join('/')}" is not a directory`, 'ENOTDIR');
    stack.push(part);
  }
  return { parts: stack, linked: hops > 0 };
}

/**
 * Resolves `components` inside `root`, following symlinks but never out of the root.
 * Returns the resolved host path (always `root` or below it).
 */
export async function resolveInRoot(root: string, components: string[], opts: ResolveOptions | boolean = {}): Promise<string> {
  const o = typeof opts === 'boolean' ? { createDirs: opts } : opts;
  return path.join(root, ...(await resolvePartsInRoot(root, components, o)));
}

/** Reads a small text file at `components` inside `root` (symlinks followed inside the root), synchronously;
 *  undefined when it is missing or not a regular file. For /etc/passwd and the like, read by path at start/exec. */
export function readFileInRootSync(root: string, components: string[]): string | undefined {
  let parts: string[];
  try {
    parts = resolvePartsInRootSync(root, components).parts;
  } catch {
    return undefined;
  } // missing, looping or through a non-directory
  let fd: number | undefined;
  try {
    fd = openSync(path.join(root, ...parts), constants.O_RDONLY | constants.O_NOFOLLOW);
    return fstatSync(fd).isFile() ? readFileSync(fd, 'utf8') : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

// ---- descriptor-based, for roots that change under us -------------------------------------------------

const O_DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** The path through which `name` inside the directory open as `dir` is reached without resolving anything else. */
export function at(dir: FileHandle, name?: string): string {
  return name === undefined ? `/proc/self/fd/${dir.fd}` : `/proc/self/fd/${dir.fd}/${name}`;
}

export interface OpenDirOptions {
  createDirs?: boolean;
  /** mode of the directories it creates */
  mode?: number;
  /** called with each directory it creates (open), and its components inside the root */
  onCreate?: (dir: FileHandle, parts: string[]) => Promise<void>;
}

/**
 * Opens the directory at `components` inside `root` (following every symlink, the final one included, inside
 * the root). The caller closes the handle. Throws ENOENT / ENOTDIR (UnsafePathError) like open(2) would.
 * `root` itself is followed (it may be the magic link /proc/<pid>/root).
 */
export async function openDirInRoot(
  root: string,
  components: string[],
  opts: OpenDirOptions = {},
): Promise<{ dir: FileHandle; parts: string[] }> {
  const rootHandle = await fs.open(root, constants.O_RDONLY | constants.O_DIRECTORY);
  const stack: FileHandle[] = [rootHandle];
  const names: string[] = [];
  const pending = [...components];
  let hops = 0;
  let created = 0;
  try {
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (stack.length > 1) {
          await stack.pop()!.close();
          names.pop();
        }
        continue;
      }
      const cur = stack[stack.length - 1]!;
      let next: FileHandle;
      try {
        next = await fs.open(at(cur, part), O_DIR);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && opts.createDirs) {
          if (++created > 4096) throw err;
          await fs.mkdir(at(cur, part), { mode: opts.mode ?? 0o755 }).catch((e: NodeJS.ErrnoException) => {
            if (e.code !== 'EEXIST') throw e;
          });
          const made = await fs.open(at(cur, part), O_DIR).catch(() => undefined);
          if (made) {
            stack.push(made);
            names.push(part);
            await opts.onCreate?.(made, [...names]);
          } else pending.unshift(part); // replaced concurrently: look again
          continue;
        }
        if (code !== 'ELOOP' && code !== 'ENOTDIR') throw err;
        const st = await fs.lstat(at(cur, part)); // O_NOFOLLOW refused it: a symlink, or not a directory
        if (!st.isSymbolicLink()) throw new UnsafePathError(`"/${[...names, part].join('/')}" is not a directory`, 'ENOTDIR');
        if (++hops > MAX_SYMLINK_HOPS)
          throw new UnsafePathError(`too many levels of symbolic links below /${[...names, part].join('/')}`, 'ELOOP');
        const target = await fs.readlink(at(cur, part));
        if (target.startsWith('/')) {
          while (stack.length > 1) await stack.pop()!.close();
          names.length = 0;
        }
        pending.unshift(...target.split('/'));
        continue;
      }
      stack.push(next);
      names.push(part);
    }
    const dir = stack.pop()!;
    for (const h of stack) await h.close();
    return { dir, parts: names };
  } catch (err) {
    for (const h of stack) await h.close().catch(() => {});
    throw err;
  }
}

/** lstat of `name` in `dir`, or undefined when it does not exist. */
export async function lstatAt(dir: FileHandle, name: string) {
  return fs.lstat(at(dir, name)).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
}

/** Removes `name` in `dir` (recursively when a directory), never following a symlink: each directory is
 *  opened with O_NOFOLLOW and emptied through its descriptor, so one swapped for a symlink meanwhile is not entered. */
export async function removeAt(dir: FileHandle, name: string): Promise<void> {
  const st = await lstatAt(dir, name);
  if (!st) return;
  if (!st.isDirectory()) {
    await fs.unlink(at(dir, name)).catch(ignoreEnoent);
    return;
  }
  let sub: FileHandle;
  try {
    sub = await fs.open(at(dir, name), O_DIR);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENOTDIR') {
      await fs.unlink(at(dir, name)).catch(ignoreEnoent);
      return;
    } // swapped meanwhile
    if (code === 'ENOENT') return;
    throw err;
  }
  try {
    for (const child of await fs.readdir(at(sub))) await removeAt(sub, child);
  } finally {
    await sub.close();
  }
  await fs.rmdir(at(dir, name)).catch(ignoreEnoent);
}

function ignoreEnoent(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}

/** Creates (or keeps, when already a directory) the directory `name` in `dir` and opens it without following a symlink. */
export async function mkdirAt(dir: FileHandle, name: string, mode = 0o755): Promise<FileHandle> {
  for (let attempt = 0; ; attempt++) {
    await fs.mkdir(at(dir, name), { mode }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
    try {
      return await fs.open(at(dir, name), O_DIR);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (attempt > 3 || (code !== 'ELOOP' && code !== 'ENOTDIR' && code !== 'ENOENT')) throw err;
      await removeAt(dir, name); // a non-directory there: replace it
    }
  }
}

/** Creates the regular file `name` in `dir` afresh (whatever was there is removed) and opens it for writing. */
export async function createFileAt(dir: FileHandle, name: string, mode = 0o600): Promise<FileHandle> {
  for (let attempt = 0; ; attempt++) {
    await removeAt(dir, name);
    try {
      return await fs.open(at(dir, name), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
    } catch (err) {
      if (attempt > 3 || (err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** Creates the symlink `name` -> `target` in `dir` (replacing what was there); the target is stored, not followed. */
export async function symlinkAt(dir: FileHandle, name: string, target: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await removeAt(dir, name);
    try {
      await fs.symlink(target, at(dir, name));
      return;
    } catch (err) {
      if (attempt > 3 || (err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
