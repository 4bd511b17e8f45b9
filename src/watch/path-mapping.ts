// Host path → container path for a watch rule. Pure.
import path from 'node:path';
import type { WatchRule } from '../model/types.js';

/** The path of `hostPath` relative to the rule's path ("" for the path itself), or undefined when outside it. */
export function relativeToRule(rulePath: string, hostPath: string): string | undefined {
  const rel = path.relative(rulePath, hostPath);
  if (rel === '') return '';
  if (rel.startsWith('..') && (rel === '..' || rel.startsWith(`..${path.sep}`))) return undefined;
  if (path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}

/** Where a host file lands in the container, or undefined when the rule has no target or the file is outside it. */
export function containerPathFor(rule: Pick<WatchRule, 'path' | 'target'>, hostPath: string): string | undefined {
  if (!rule.target) return undefined;
  const rel = relativeToRule(rule.path, hostPath);
  if (rel === undefined) return undefined;
  return rel === '' ? path.posix.normalize(rule.target) : path.posix.join(rule.target, rel);
}

/** Drops paths that lie inside another path of the list (rm -rf of the parent covers them). */
export function outermostPaths(paths: Iterable<string>): string[] {
  const all = new Set(paths);
  const coveredByAncestor = (p: string): boolean => {
    for (let dir = path.posix.dirname(p); dir !== p && dir !== '.'; p = dir, dir = path.posix.dirname(dir)) {
      if (all.has(dir)) return true;
    }
    return false;
  };
  return [...all].filter((p) => !coveredByAncestor(p)).sort();
}

/** True when a bind mount already puts the rule's path at its target, so syncing it would be redundant. */
export function coveredByBindMount(
  rule: Pick<WatchRule, 'path' | 'target'>,
  volumes: { type: string; source?: string; target: string }[],
): boolean {
  if (!rule.target) return false;
  const target = path.posix.normalize(rule.target).replace(/(.)\/+$/, '$1');
  return volumes.some(
    (v) => v.type === 'bind' && v.source !== undefined && containerPathFor({ path: v.source, target: v.target }, rule.path) === target,
  );
}
