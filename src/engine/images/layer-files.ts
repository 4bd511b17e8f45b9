// Reading files of a layer stack (overlayfs lower dirs, and a container's upper dir on top) without
// mounting it: the top-most layer holding a path wins, and a whiteout of the path or of a parent hides
// the layers below.
// Synchronous: a handful of lstat calls on the path of every container start, faster than thread-pool trips.
import { lstatSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import path from 'node:path';

/** lstat of `rel` in the top-most layer that has it (layers bottom first); undefined when absent or whited out. */
export function lookupInLayers(layerDirs: string[], rel: string): { layerDir: string; stat: Stats } | undefined {
  const parts = rel.split('/').filter(Boolean);
  for (const dir of [...layerDirs].reverse()) {
    for (let i = 1; i <= parts.length; i++) {
      const st = lstatSync(path.join(dir, ...parts.slice(0, i)), { throwIfNoEntry: false });
      if (st?.isCharacterDevice() && st.rdev === 0) return undefined;
    }
    const stat = lstatSync(path.join(dir, ...parts), { throwIfNoEntry: false });
    if (stat) return { layerDir: dir, stat };
  }
  return undefined;
}

/** A regular file's text; symlinks to it are followed within the stack (a few hops, never outside it). */
export function readFromLayers(layerDirs: string[], rel: string): string | undefined {
  let current = path.posix.normalize(`/${rel}`).slice(1);
  for (let hops = 0; hops < 8; hops++) {
    const hit = lookupInLayers(layerDirs, current);
    if (!hit) return undefined;
    if (hit.stat.isFile()) return readFileSync(path.join(hit.layerDir, current), 'utf8');
    if (!hit.stat.isSymbolicLink()) return undefined;
    const target = readlinkSync(path.join(hit.layerDir, current));
    current = path.posix.normalize(target.startsWith('/') ? target : path.posix.join('/', path.posix.dirname(current), target)).slice(1);
  }
  return undefined;
}
