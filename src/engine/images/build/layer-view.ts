// Reading an image's filesystem without running it: owners from its passwd and group files, and a
// read-only overlay mount when whole trees are needed (COPY --from).
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { promisify } from 'node:util';
import { readFromLayers } from '../layer-files.js';

const run = promisify(execFile);

/** Resolves "user[:group]" (names or ids) against the image's /etc/passwd and /etc/group. */
export async function resolveOwner(layerDirs: string[], spec: string): Promise<{ uid: number; gid: number }> {
  const [user = '', group] = spec.split(':');
  const passwd = readFromLayers(layerDirs, 'etc/passwd') ?? '';
  const groups = readFromLayers(layerDirs, 'etc/group') ?? '';
  const find = (table: string, name: string) =>
    table
      .split('\n')
      .map((l) => l.split(':'))
      .find((f) => f[0] === name);
  let uid: number;
  let gid: number;
  if (/^\d+$/.test(user)) {
    uid = Number(user);
    gid = uid;
  } else {
    // a bare uid means the same gid (Docker's COPY --chown rule)
    const entry = find(passwd, user);
    if (!entry) throw new Error(`unable to find user ${user}: no matching entries in passwd file`);
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (group !== undefined && group !== '') {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
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
  // overlayfs without an upper dir needs at least two lower dirs, and refuses one given twice: a layer the image has
  // twice is named at its topmost place only (see runtime/overlay.ts), an image without layers gets two empty dirs
  const lowers = [...new Set([...layerDirs].reverse())].concat(emptyDir);
  if (lowers.length < 2) {
    await fs.mkdir(`${emptyDir}.2`, { recursive: true });
    lowers.push(`${emptyDir}.2`);
  }
  await run('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${lowers.join(':')}`, mountpoint]);
  return async () => {
    await run('umount', [mountpoint]).catch(() => run('umount', ['-l', mountpoint]));
  };
}
