// Project name: -p, COMPOSE_PROJECT_NAME, top-level `name:`, else the project directory's name.
// Explicit names must already be valid; a directory name is lower-cased and sanitised.
import path from 'node:path';
import { UserError } from '../errors.js';

const VALID = /^[a-z0-9][a-z0-9_-]*$/;

export function sanitizeProjectName(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[^a-z0-9]+/, '');
}

export function chooseProjectName(sources: { flag?: string; env?: string; topLevel?: string; directory: string }): string {
  const explicit: [string, string | undefined][] = [
    ['-p', sources.flag],
    ['COMPOSE_PROJECT_NAME', sources.env],
    ['the top-level name:', sources.topLevel],
  ];
  for (const [origin, value] of explicit) {
    if (value === undefined || value === '') continue;
    if (!VALID.test(value)) {
      throw new UserError(
        `invalid project name "${value}" (from ${origin}): it must contain only lower-case letters, digits, "-" and "_", and start with a letter or digit`,
      );
    }
    return value;
  }
  const fromDir = sanitizeProjectName(path.basename(sources.directory));
  if (!fromDir) throw new UserError(`cannot derive a project name from the directory ${sources.directory}: pass -p NAME`);
  return fromDir;
}
