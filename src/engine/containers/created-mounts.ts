// A container's mounts before it runs, as Docker has them: resolved at create (its volumes exist and inspect
// lists them from then on), and bound into its filesystem while `docker cp` works on a container that is not
// running, so that a path inside a volume reaches the volume as it does in a running container.
import { execFile } from 'node:child_process';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ResolvedMount, VolumeService } from '../contracts.js';
import { chrootComponents, resolveInRoot } from '../fs/in-root.js';
import { unmount, withOverlayMounted } from '../runtime/overlay.js';
import { containerOverlay, type ContainerLayout } from './layout.js';
import { mountPoint, mountRequests } from './mounts.js';
import type { ContainerRecord } from './record.js';

const execFileAsync = promisify(execFile);

/** Resolves the container's mounts (creating its volumes, seeded from the image) and returns them as inspect
 *  shows them. Start resolves them again: a named volume is the same, an anonymous one stays the container's. */
export async function resolveMountsAtCreate(
  rec: ContainerRecord,
  layout: ContainerLayout,
  volumes: VolumeService,
): Promise<ContainerRecord['mounts']> {
  const requests = mountRequests(rec);
  if (!requests.length) return [];
  const resolved: ResolvedMount[] = [];
  const resolveAll = async (imageRootfs: string) => {
    for (const r of requests) resolved.push(await volumes.resolve(rec.id, r, imageRootfs));
  };
  // a volume used for the first time gets the image's content at its target: only then is a view of the image needed
  if (requests.some((r) => r.Type === 'volume'))
    await withOverlayMounted(containerOverlay(layout, rec.layerDirs), () => resolveAll(layout.rootfs));
  else await resolveAll('');
  return requests.map((r, i) => mountPoint(r, resolved[i]!));
}

/**
 * Binds the container's volume and bind mounts at their destinations inside `rootfs` (its filesystem mounted
 * on the host) while `fn` runs. Destinations resolve inside the rootfs (an image's symlinks cannot lead out),
 * missing ones are created as the runtime would at start; read-only mounts stay read-only.
 */
export async function withMountsBound<T>(rootfs: string, mounts: ContainerRecord['mounts'], fn: () => Promise<T>): Promise<T> {
  const bound: string[] = [];
  try {
    // parents first: a mount below another one's destination lands inside it
    const ordered = mounts
      .filter((m) => m.type !== 'tmpfs' && m.source)
      .sort((a, b) => chrootComponents(a.destination).length - chrootComponents(b.destination).length);
    for (const m of ordered) {
      const source = await stat(m.source).catch(() => undefined);
      if (!source) continue;
      const parts = chrootComponents(m.destination);
      let target: string;
      if (source.isDirectory()) {
        target = await resolveInRoot(rootfs, parts, { createDirs: true });
      } else {
        const parent = await resolveInRoot(rootfs, parts.slice(0, -1), { createDirs: true });
        target = await resolveInRoot(rootfs, parts);
        if (path.dirname(target) === parent && !(await stat(target).catch(() => undefined))) await writeFile(target, '', { flag: 'a' });
      }
      await execFileAsync('mount', ['--bind', m.source, target]);
      bound.push(target);
      if (!m.rw) await execFileAsync('mount', ['-o', 'remount,bind,ro', target]);
    }
    return await fn();
  } finally {
    for (const target of bound.reverse()) await unmount(target);
  }
}
