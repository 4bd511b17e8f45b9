// Project names for test runs: unique per run so parallel runs never share containers.
import { randomBytes } from 'node:crypto';

/** Compose project names: lowercase letters, digits, dashes and underscores, starting with a letter or digit. */
export function sanitizeProjectName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  return cleaned || 'project';
}

/** "<base>-<8 hex>", keeping the name short enough for container names and bridge-derived names. */
export function uniqueProjectName(base: string): string {
  return `${sanitizeProjectName(base).slice(0, 40)}-${randomBytes(4).toString('hex')}`;
}
