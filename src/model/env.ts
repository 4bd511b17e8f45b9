// The interpolation environment: `.env` (or every --env-file, later files winning) parsed with
// dotenv, values interpolated against what came before, and the shell environment on top.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import { UserError } from '../errors.js';
import { interpolate, InterpolationError } from './interpolate.js';

export type Environment = Record<string, string>;

export function readEnvFile(file: string, lookup: (name: string) => string | undefined): Environment {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UserError(e.code === 'EISDIR' ? `env file ${file} is a directory` : `cannot read env file ${file}: ${e.message}`);
  }
  const parsed = dotenv.parse(text);
  // single-quoted values are literal, as in a shell
  const literal = new Set([...text.matchAll(/^\s*(?:export\s+)?([\w.-]+)\s*=\s*'/gm)].map((m) => m[1]!));
  const out: Environment = {};
  for (const [k, v] of Object.entries(parsed)) {
    try {
      out[k] = literal.has(k) ? v : interpolate(v, (name) => out[name] ?? lookup(name));
    } catch (err) {
      if (err instanceof InterpolationError) throw new UserError(`${file}: ${k}: ${err.message}`);
      throw err;
    }
  }
  return out;
}

/** env_file with `format: raw`: KEY=VALUE lines taken as written (no quotes, no interpolation); blank lines and # comments skipped. */
export function readRawEnvFile(file: string): Environment {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read env file ${file}: ${(err as Error).message}`);
  }
  const out: Environment = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) out[line.trim()] = '';
    else out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return out;
}

export function buildEnvironment(
  shell: Record<string, string | undefined>,
  envFiles: string[] | undefined,
  projectDir: string,
  cwd: string,
): Environment {
  const fromShell: Environment = {};
  for (const [k, v] of Object.entries(shell)) if (v !== undefined) fromShell[k] = v;
  const files = envFiles?.length ? envFiles.map((f) => path.resolve(cwd, f)) : [path.join(projectDir, '.env')].filter((f) => existsSync(f));
  const fromFiles: Environment = {};
  for (const f of files) {
    if (!existsSync(f)) throw new UserError(`env file ${f} not found`);
    Object.assign(
      fromFiles,
      readEnvFile(f, (name) => fromShell[name] ?? fromFiles[name]),
    );
  }
  return { ...fromFiles, ...fromShell };
}

/** One variable from the env files alone (before the project directory is known), e.g. COMPOSE_FILE. */
export function envFileVariable(name: string, envFiles: string[] | undefined, dir: string, cwd: string): string | undefined {
  const files = envFiles?.length ? envFiles.map((f) => path.resolve(cwd, f)) : [path.join(dir, '.env')];
  let value: string | undefined;
  for (const f of files) {
    if (!existsSync(f)) continue;
    try {
      value = dotenv.parse(readFileSync(f, 'utf8'))[name] ?? value;
    } catch {
      // unreadable here: buildEnvironment reports it
    }
  }
  return value;
}
