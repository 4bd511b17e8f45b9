// First use of an empty volume copies what the image has at the mount point, as Docker does.
import { execFile } from 'node:child_process';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export async function isEmptyDir(dir: string): Promise<boolean> {
  try { return (await readdir(dir)).length === 0; } catch { return false; }
}

/** Where `target` is inside the image rootfs, unless it is missing, not a directory, or a symlink. */
export async function imageDirAt(imageRootfs: string, target: string): Promise<string | undefined> {
  if (!imageRootfs) return undefined;
  const dir = path.join(imageRootfs, path.resolve('/', target));
  try {
    const st = await lstat(dir);
    return st.isDirectory() ? dir : undefined;
  } catch { return undefined; }
}

/** Copies the content of `from` (owners, modes, times, links) into the empty directory `to`. */
export async function seedVolume(from: string, to: string): Promise<void> {
  await execFileAsync('cp', ['-a', '--', `${from}/.`, `${to}/`]);
}

export async function diskUsage(dir: string): Promise<number> {
  try {
    const { stdout } = await execFileAsync('du', ['-sb', dir]);
    return Number(stdout.split('\t')[0]) || 0;
  } catch { return 0; }
}
