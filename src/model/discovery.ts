// Which stack files a project is made of: -f, else COMPOSE_FILE, else the first compose.yaml /
// compose.yml / docker-compose.yaml / docker-compose.yml found from the working directory upwards,
// plus its matching *.override.* file.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';

export const STDIN = '-';

const CANDIDATES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

export function findDefaultFiles(cwd: string): string[] {
  let dir = path.resolve(cwd);
  for (;;) {
    for (const name of CANDIDATES) {
      const file = path.join(dir, name);
      if (isFile(file)) return [file, ...overrideFor(file)];
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new UserError(`no configuration file provided: none of ${CANDIDATES.join(', ')} found in ${cwd} or its parent directories`);
}

function overrideFor(file: string): string[] {
  const dir = path.dirname(file);
  const stem = path.basename(file).replace(/\.ya?ml$/, '');
  for (const ext of ['yaml', 'yml']) {
    const candidate = path.join(dir, `${stem}.override.${ext}`);
    if (isFile(candidate)) return [candidate];
  }
  return [];
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export function resolveFiles(
  files: string[] | undefined,
  composeFileVar: string | undefined,
  cwd: string,
  pathSeparator = path.delimiter,
): string[] {
  const given = files?.length ? files : composeFileVar ? composeFileVar.split(pathSeparator).filter(Boolean) : undefined;
  if (!given) return findDefaultFiles(cwd);
  return given.map((f) => {
    if (f === STDIN) return STDIN;
    const abs = path.resolve(cwd, f);
    if (!existsSync(abs)) throw new UserError(`stack file ${abs} not found (from -f ${f})`);
    if (!isFile(abs)) throw new UserError(`stack file ${abs} is not a regular file`);
    return abs;
  });
}
