// First use of an empty volume copies what the image has at the mount point, as Docker does.
import { execFile } from 'node:child_process';
import { lstat, readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { chrootComponents, resolveInRoot } from '../fs/in-root.js';

const execFileAsync = promisify(execFile);

export async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch {
    return false;
  }
}

/** Where `target` is inside the image rootfs, its symlinks followed inside that rootfs (as Docker does), unless
 *  it is missing or not a directory. Never a host path: `/data -> /etc` means the image's /etc. */
export async function imageDirAt(imageRootfs: string, target: string): Promise<string | undefined> {
  if (!imageRootfs) return undefined;
  try {
    const dir = await resolveInRoot(imageRootfs, chrootComponents(target));
    const st = await lstat(dir);
    return st.isDirectory() ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Copies the content of `from` (owners, modes, times, links) into the empty directory `to`: `cp -a` copies
 *  symlinks as symlinks and writes only below `to`, which is fresh (nothing in it to follow). */
export async function seedVolume(from: string, to: string): Promise<void> {
  await execFileAsync('cp', ['-a', '--', `${from}/.`, `${to}/`]);
}

export async function diskUsage(dir: string): Promise<number> {
  try {
    const { stdout } = await execFileAsync('du', ['-sb', dir]);
    return Number(stdout.split('\t')[0]) || 0;
  } catch {
    return 0;
  }
}
