// A container's own changes: its overlay upper dir, read as Docker reads a container's RW layer for
// `docker diff` and `docker commit`. Docker keeps the mount points the runtime needs (/proc, /dev, /etc/hosts …)
// in a separate init layer, so they are never a container's change; here runc creates them in the upper dir
// itself, so they are recognised and left out: a mount point that is empty, and a directory left with
// nothing but such mount points.
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { lookupInLayers } from '../images/layer-files.js';

/** Docker's change kinds (GET /containers/{id}/changes). */
export const ChangeKind = { Modified: 0, Added: 1, Deleted: 2 } as const;
export interface Change {
  Path: string;
  Kind: (typeof ChangeKind)[keyof typeof ChangeKind];
}

const RUNTIME_MOUNT_POINTS = [
  'proc',
  'sys',
  'sys/fs/cgroup',
  'dev',
  'dev/pts',
  'dev/shm',
  'dev/mqueue',
  'etc/hosts',
  'etc/resolv.conf',
  'etc/hostname',
];

/** Where the container's mounts land (from its OCI bundle), relative to its root, plus what runc always mounts. */
export function mountPoints(bundleDir: string): Set<string> {
  const out = new Set(RUNTIME_MOUNT_POINTS);
  try {
    const spec = JSON.parse(readFileSync(path.join(bundleDir, 'config.json'), 'utf8')) as { mounts?: { destination: string }[] };
    for (const m of spec.mounts ?? []) {
      const rel = path.posix.normalize(m.destination).replace(/^\/+/, '');
      if (rel) out.add(rel);
    }
  } catch {
    /* never started: no bundle, no mount points */
  }
  return out;
}

const isWhiteout = (st: { isCharacterDevice(): boolean; rdev: number }) => st.isCharacterDevice() && st.rdev === 0;

/**
 * Which entries of `upper` are only mount points the runtime made (relative paths). A mount point counts when
 * it is an empty file or directory; a directory counts when everything in it counts (and it holds something).
 */
export function runtimeOnlyEntries(upper: string, points: Set<string>): Set<string> {
  const skipped = new Set<string>();
  const visit = (rel: string): boolean => {
    const st = lstatSync(path.join(upper, rel), { throwIfNoEntry: false });
    if (!st) return false;
    let only = false;
    if (st.isDirectory()) {
      const names = readdirSync(path.join(upper, rel));
      const children = names.map((n) => visit(rel ? `${rel}/${n}` : n));
      only = (names.length === 0 && points.has(rel)) || (names.length > 0 && children.every(Boolean));
    } else if (st.isFile()) {
      only = st.size === 0 && points.has(rel);
    }
    if (only && rel) skipped.add(rel);
    return only;
  };
  visit('');
  return skipped;
}

/** `docker diff`: every change in the upper dir against the image layers below it, sorted by path. */
export function containerChanges(upper: string, lowerDirs: string[], skipped: Set<string>): Change[] {
  const out: Change[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(upper, rel)).sort()) {
      const child = rel ? `${rel}/${name}` : name;
      if (skipped.has(child)) continue;
      const st = lstatSync(path.join(upper, child));
      if (isWhiteout(st)) {
        out.push({ Path: `/${child}`, Kind: ChangeKind.Deleted });
        continue;
      }
      out.push({ Path: `/${child}`, Kind: lookupInLayers(lowerDirs, child) ? ChangeKind.Modified : ChangeKind.Added });
      if (st.isDirectory()) walk(child);
    }
  };
  walk('');
  return out.sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
}

/** The size of a container's own files (its upper dir), counted as Docker's SizeRw: every entry but directories,
 *  a hard-linked file once. For the SpaceReclaimed of a container prune. */
export function rwLayerSize(upper: string): number {
  const seen = new Set<number>();
  let total = 0;
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const p = path.join(dir, name);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        walk(p);
        continue;
      }
      if (st.nlink > 1) {
        if (seen.has(st.ino)) continue;
        seen.add(st.ino);
      }
      total += st.size;
    }
  };
  walk(upper);
  return total;
}
