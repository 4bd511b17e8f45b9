// overlayfs mounts for container root filesystems: image layers below, one writable upper dir on top.
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface OverlayDirs {
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  mergedDir: string;
  emptyLower: string;
}

/** The directories an overlay mount of `d` needs. */
export async function makeOverlayDirs(d: OverlayDirs): Promise<void> {
  await Promise.all([d.upperDir, d.workDir, d.mergedDir, d.emptyLower].map((p) => mkdir(p, { recursive: true })));
}

/** lowerDirs bottom first (overlayfs wants the top layer first); an empty lower stands in for FROM scratch. A layer
 *  an image has twice (two steps that made the same files in the same second have one diffID, hence one directory)
 *  is named once, at its topmost place: overlayfs refuses a lowerdir given twice ("conflicting lowerdir path",
 *  ELOOP), and the lower copy could only show what the upper one already shows. */
export function overlayOptions(d: OverlayDirs): string {
  const lowers = d.lowerDirs.length ? [...new Set([...d.lowerDirs].reverse())] : [d.emptyLower];
  return `lowerdir=${lowers.join(':')},upperdir=${d.upperDir},workdir=${d.workDir}`;
}

/** Mounts the overlay on the host at `d.mergedDir`. */
export async function mountOverlay(d: OverlayDirs): Promise<void> {
  await makeOverlayDirs(d);
  const options = overlayOptions(d);
  try {
    await execFileAsync('mount', ['-t', 'overlay', 'overlay', '-o', options, d.mergedDir]);
  } catch (err) {
    throw new Error(`mounting the container filesystem failed: ${((err as { stderr?: string }).stderr || (err as Error).message).trim()}`);
  }
}

export async function unmount(dir: string): Promise<void> {
  try {
    await execFileAsync('umount', [dir]);
  } catch {
    try {
      await execFileAsync('umount', ['-l', dir]);
    } catch {
      /* not mounted */
    }
  }
}

/** Mounts the overlay on the host while `fn` runs. */
export async function withOverlayMounted<T>(d: OverlayDirs, fn: () => Promise<T>): Promise<T> {
  await mountOverlay(d);
  try {
    return await fn();
  } finally {
    await unmount(d.mergedDir);
  }
}

/** Mount points at or below `dir`, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  return mounts
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** Mounts `layers` (top first) read-only at `dir` while `fn` runs: a view that cannot change what it shows. */
export async function withReadOnlyOverlay<T>(layers: string[], dir: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dir, { recursive: true });
  try {
    await execFileAsync('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${layers.join(':')}`, dir]);
  } catch (err) {
    throw new Error(
      `mounting a view of the container filesystem failed: ${((err as { stderr?: string }).stderr || (err as Error).message).trim()}`,
    );
  }
  try {
    return await fn();
  } finally {
    await unmount(dir);
  }
}
