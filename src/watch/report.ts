// One line per action, like "web: synced 3 files (index.html, app.js, +1 more) in 12 ms". Pure.
import path from 'node:path';

const MAX_NAMED = 3;

export function describePaths(paths: string[], baseDir: string): string {
  const shown = paths.slice(0, MAX_NAMED).map((p) => path.relative(baseDir, p) || path.basename(p));
  const more = paths.length - shown.length;
  return shown.join(', ') + (more > 0 ? `, +${more} more` : '');
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function syncLine(
  service: string,
  copied: string[],
  removed: string[],
  baseDir: string,
  ms: number,
  createdDirs: string[] = [],
): string {
  const parts: string[] = [];
  if (!copied.length && createdDirs.length)
    parts.push(
      `created ${plural(createdDirs.length, 'directory').replace(/directorys$/, 'directories')} (${describePaths(createdDirs, baseDir)})`,
    );
  if (copied.length) parts.push(`synced ${plural(copied.length, 'file')} (${describePaths(copied, baseDir)})`);
  if (removed.length) parts.push(`removed ${plural(removed.length, 'path')} (${describePaths(removed, baseDir)})`);
  return `${service}: ${parts.join(', ')} in ${Math.round(ms)} ms`;
}
