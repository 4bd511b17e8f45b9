// Reading files of a layer stack (overlayfs lower dirs, and a container's upper dir on top) without
// mounting it: the top-most layer holding a path wins, and a whiteout of the path or of a parent hides
// the layers below.
// Synchronous: a handful of lstat calls on the path of every container start, faster than thread-pool trips.
import { lstatSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import path from 'node:path';

/** lstat of `rel` in the top-most layer that has it (layers bottom first); undefined when absent or whited out.
 *  A parent that is not a directory in a layer (a symlink, a file) ends the lookup there: the kernel would
 *  follow such a symlink on the host, and it hides the layers below anyway (see resolveInLayers for symlinks). */
export function lookupInLayers(layerDirs: string[], rel: string): { layerDir: string; stat: Stats } | undefined {
  const parts = rel.split('/').filter(Boolean);
  for (const dir of [...layerDirs].reverse()) {
    for (let i = 1; i < parts.length; i++) {
      const st = lstatSync(path.join(dir, ...parts.slice(0, i)), { throwIfNoEntry: false });
      if (!st) break;
      if (st.isCharacterDevice() && st.rdev === 0) return undefined;
      if (!st.isDirectory()) return undefined;
    }
    const stat = lstatSync(path.join(dir, ...parts), { throwIfNoEntry: false });
    if (stat?.isCharacterDevice() && stat.rdev === 0) return undefined;
    if (stat) return { layerDir: dir, stat };
  }
  return undefined;
}

/** `rel` with every symlink on the way followed inside the layer stack (chroot semantics: `..` and absolute
 *  targets stay in it); the final one too unless `followLast` is false. What is missing is kept as given;
 *  undefined when a parent is not a directory or the links loop. */
export function resolveInLayers(layerDirs: string[], rel: string, followLast = true): string | undefined {
  const stack: string[] = [];
  const pending = rel.split('/');
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      stack.pop();
      continue;
    }
    const isLast = !pending.some((p) => p !== '' && p !== '.');
    const cur = [...stack, part].join('/');
    const hit = lookupInLayers(layerDirs, cur);
    if (!hit) {
      // missing: the rest is a path to create, taken lexically (never above the root)
      for (const p of [part, ...pending]) {
        if (p === '..') stack.pop();
        else if (p !== '' && p !== '.') stack.push(p);
      }
      break;
    }
    if (hit.stat.isSymbolicLink() && (followLast || !isLast)) {
      if (++hops > 40) return undefined;
      const target = readlinkSync(path.join(hit.layerDir, cur));
      if (target.startsWith('/')) stack.length = 0;
      pending.unshift(...target.split('/'));
      continue;
    }
    if (!hit.stat.isDirectory() && !isLast) return undefined;
    stack.push(part);
  }
  return stack.join('/');
}

/** A regular file's text; symlinks on its path are followed within the stack, never outside it. */
export function readFromLayers(layerDirs: string[], rel: string): string | undefined {
  const resolved = resolveInLayers(layerDirs, rel);
  if (resolved === undefined) return undefined;
  const hit = lookupInLayers(layerDirs, resolved);
  if (!hit?.stat.isFile()) return undefined;
  return readFileSync(path.join(hit.layerDir, resolved), 'utf8');
}
