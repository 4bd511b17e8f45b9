// overlayfs mounts for container root filesystems: image layers below, one writable upper dir on top.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface OverlayDirs { lowerDirs: string[]; upperDir: string; workDir: string; mergedDir: string; emptyLower: string }

/** lowerDirs bottom first (overlayfs wants the top layer first); an empty lower stands in for FROM scratch. */
export async function mountOverlay(d: OverlayDirs): Promise<void> {
  await Promise.all([d.upperDir, d.workDir, d.mergedDir, d.emptyLower].map((p) => mkdir(p, { recursive: true })));
  const lowers = d.lowerDirs.length ? [...d.lowerDirs].reverse() : [d.emptyLower];
  const options = `lowerdir=${lowers.join(':')},upperdir=${d.upperDir},workdir=${d.workDir}`;
  try {
    await execFileAsync('mount', ['-t', 'overlay', 'overlay', '-o', options, d.mergedDir]);
  } catch (err) {
    throw new Error(`mounting the container filesystem failed: ${((err as { stderr?: string }).stderr || (err as Error).message).trim()}`);
  }
}

export async function unmount(dir: string): Promise<void> {
  try { await execFileAsync('umount', [dir]); } catch {
    try { await execFileAsync('umount', ['-l', dir]); } catch { /* not mounted */ }
  }
}

export async function isMounted(dir: string): Promise<boolean> {
  const { readFile } = await import('node:fs/promises');
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  return mounts.split('\n').some((l) => l.split(' ')[4] === dir);
}
