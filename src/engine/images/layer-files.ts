// Reading files of a layer stack (overlayfs lower dirs, and a container's upper dir on top) without
// mounting it: the top-most layer holding a path wins, and a whiteout of the path or of a parent hides
// the layers below.
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/** lstat of `rel` in the top-most layer that has it (layers bottom first); undefined when absent or whited out. */
export async function lookupInLayers(layerDirs: string[], rel: string): Promise<{ layerDir: string; stat: Stats } | undefined> {
  const parts = rel.split('/').filter(Boolean);
  for (const dir of [...layerDirs].reverse()) {
    for (let i = 1; i <= parts.length; i++) {
      const st = await fs.lstat(path.join(dir, ...parts.slice(0, i))).catch(() => undefined);
      if (st?.isCharacterDevice() && st.rdev === 0) return undefined;
    }
    const stat = await fs.lstat(path.join(dir, ...parts)).catch(() => undefined);
    if (stat) return { layerDir: dir, stat };
  }
  return undefined;
}

/** A regular file's text; symlinks to it are followed within the stack (a few hops, never outside it). */
export async function readFromLayers(layerDirs: string[], rel: string): Promise<string | undefined> {
  let current = path.posix.normalize(`/${rel}`).slice(1);
  for (let hops = 0; hops < 8; hops++) {
    const hit = await lookupInLayers(layerDirs, current);
    if (!hit) return undefined;
    if (hit.stat.isFile()) return fs.readFile(path.join(hit.layerDir, current), 'utf8');
    if (!hit.stat.isSymbolicLink()) return undefined;
    const target = await fs.readlink(path.join(hit.layerDir, current));
    current = path.posix.normalize(target.startsWith('/') ? target : path.posix.join('/', path.posix.dirname(current), target)).slice(1);
  }
  return undefined;
}
