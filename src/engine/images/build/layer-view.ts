// Reading an image's filesystem without running it: path lookups across the layer stack (whiteouts
// respected), and a read-only overlay mount when whole trees are needed (COPY --from).
import { execFile } from 'node:child_process';
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** lstat of `rel` in the top-most layer that has it; undefined when absent or whited out. */
export async function lookupInLayers(layerDirs: string[], rel: string): Promise<{ layerDir: string; stat: Stats } | undefined> {
  const parts = rel.split('/').filter(Boolean);
  for (const dir of [...layerDirs].reverse()) {
    // a whiteout of the path or of any parent hides everything below in this and lower layers
    for (let i = 1; i <= parts.length; i++) {
      const st = await fs.lstat(path.join(dir, ...parts.slice(0, i))).catch(() => undefined);
      if (st?.isCharacterDevice() && st.rdev === 0) return undefined;
    }
    const stat = await fs.lstat(path.join(dir, ...parts)).catch(() => undefined);
    if (stat) return { layerDir: dir, stat };
  }
  return undefined;
}

export async function readFromLayers(layerDirs: string[], rel: string): Promise<string | undefined> {
  const hit = await lookupInLayers(layerDirs, rel);
  if (!hit || !hit.stat.isFile()) return undefined;
  return fs.readFile(path.join(hit.layerDir, rel), 'utf8');
}

/** Resolves "user[:group]" (names or ids) against the image's /etc/passwd and /etc/group. */
export async function resolveOwner(layerDirs: string[], spec: string): Promise<{ uid: number; gid: number }> {
  const [user = '', group] = spec.split(':');
  const passwd = (await readFromLayers(layerDirs, 'etc/passwd')) ?? '';
  const groups = (await readFromLayers(layerDirs, 'etc/group')) ?? '';
  const find = (table: string, name: string) => table.split('\n').map((l) => l.split(':')).find((f) => f[0] === name);
  let uid: number; let gid: number;
  if (/^\d+$/.test(user)) { uid = Number(user); gid = uid; } else { // a bare uid means the same gid (Docker's COPY --chown rule)
    const entry = find(passwd, user);
    if (!entry) throw new Error(`unable to find user ${user}: no matching entries in passwd file`);
    uid = Number(entry[2]); gid = Number(entry[3]);
  }
  if (group !== undefined && group !== '') {
    if (/^\d+$/.test(group)) gid = Number(group); else {
      const entry = find(groups, group);
      if (!entry) throw new Error(`unable to find group ${group}: no matching entries in group file`);
      gid = Number(entry[2]);
    }
  }
  return { uid, gid };
}

/** Mounts the layers read-only at `mountpoint` (an empty dir is used for a single or no layer). */
export async function mountReadOnly(layerDirs: string[], mountpoint: string, emptyDir: string): Promise<() => Promise<void>> {
  await fs.mkdir(mountpoint, { recursive: true });
  await fs.mkdir(emptyDir, { recursive: true });
  // overlayfs without an upper dir needs at least two lower dirs
  const lowers = [...layerDirs].reverse().concat(emptyDir);
  if (lowers.length < 2) lowers.push(emptyDir);
  await run('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${lowers.join(':')}`, mountpoint]);
  return async () => {
    await run('umount', [mountpoint]).catch(() => run('umount', ['-l', mountpoint]));
  };
}
