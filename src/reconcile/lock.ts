// One reconciliation at a time per engine + project: an exclusive lock file holding the owner's pid.
// A lock left by a dead process (kill -9) is taken over.
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';

/** Root's locks live in /run (only root writes there); anyone else's in their runtime dir, or in a
 *  directory of their own under /tmp: in a shared /tmp directory, another user could plant lock files
 *  that block every `up` (or remove the ones in use). */
export function lockDirectory(): string {
  const uid = process.getuid?.() ?? 0;
  if (uid === 0) return '/run/tscompose/locks';
  return process.env.XDG_RUNTIME_DIR
    ? path.join(process.env.XDG_RUNTIME_DIR, 'tscompose-locks')
    : path.join(os.tmpdir(), `tscompose-locks-${uid}`);
}

/** Makes the lock directory, and refuses one that is a symlink or that someone else owns. */
export function ownLockDirectory(): string {
  const dir = lockDirectory();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const uid = process.getuid?.() ?? 0;
  if (!st.isDirectory() || st.uid !== uid)
    throw new UserError(`${dir} is not a directory of this user's: remove it (someone else may have made it to interfere with tscompose)`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ProjectLock {
  release(): void;
}

export async function lockProject(engineKey: string, project: string, timeoutMs = 60_000): Promise<ProjectLock> {
  const dir = ownLockDirectory();
  const file = path.join(dir, `${createHash('sha256').update(`${engineKey}\0${project}`).digest('hex').slice(0, 24)}.lock`);
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (!released) {
          released = true;
          try {
            unlinkSync(file);
          } catch {
            /* gone */
          }
        }
      };
      process.once('exit', release);
      return { release };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    if (!Number.isFinite(owner) || owner <= 0 || !alive(owner)) {
      try {
        unlinkSync(file);
      } catch {
        /* someone else took it over */
      }
      continue;
    }
    if (Date.now() > end)
      throw new UserError(`project "${project}" is locked by another tscompose process (pid ${owner}); wait for it to finish or stop it`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
