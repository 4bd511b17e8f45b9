// loadProject: stack files → the canonical Project model (see types.ts and design.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { LoadOptions, Project } from './types.js';
import { resolveFiles, STDIN } from './discovery.js';
import { buildEnvironment, envFileVariable } from './env.js';
import { loadFile, type FileContext } from './load-file.js';
import { cloneLocated, type PlainMap } from './located.js';
import { mergeDocuments, stripResets } from './merge.js';
import { chooseProjectName } from './project-name.js';
import { buildProject } from './build-project.js';

export type * from './types.js';
export { serializeProject } from './serialize.js';

export const STDIN_FILE_LABEL = '<stdin>';

/** The merged canonical document before it becomes a Project (for `config --no-interpolate` and tests). */
export interface LoadedDocument {
  doc: PlainMap;
  files: string[];
  projectDir: string;
  env: Record<string, string>;
  warnings: string[];
}

/** The stack files (absolute, or "-" for stdin) and the project directory, before anything is read. */
export function projectFiles(opts: LoadOptions = {}): { files: string[]; projectDir: string; cwd: string } {
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const shell = opts.environment ?? process.env;
  const givenProjectDir = opts.projectDirectory ? path.resolve(cwd, opts.projectDirectory) : undefined;
  // COMPOSE_FILE may also come from the .env (or --env-file) next to where we start
  const composeFile = opts.files?.length
    ? undefined
    : (shell.COMPOSE_FILE ?? envFileVariable('COMPOSE_FILE', opts.envFiles, givenProjectDir ?? cwd, cwd));
  // without -f, the stack file is looked for in --project-directory when it is given
  const files = opts.files?.length
    ? resolveFiles(opts.files, undefined, cwd)
    : resolveFiles(undefined, composeFile, givenProjectDir ?? cwd);
  const projectDir = givenProjectDir ?? (files[0] === STDIN ? cwd : path.dirname(files[0]!));
  return { files, projectDir, cwd };
}

export async function loadDocument(opts: LoadOptions = {}): Promise<LoadedDocument> {
  const shell = opts.environment ?? process.env;
  const { files, projectDir, cwd } = projectFiles(opts);
  const env = buildEnvironment(shell, opts.envFiles, projectDir, cwd);
  const warnings: string[] = [];
  const ctx: FileContext = { env, interpolate: opts.interpolate !== false, warn: (m) => warnings.push(m), cache: new Map() };
  let merged: PlainMap | undefined;
  for (const f of files) {
    const doc =
      f === STDIN
        ? await loadFile({ file: STDIN_FILE_LABEL, text: opts.stdin ?? readStdin(), baseDir: projectDir }, ctx)
        : await loadFile({ file: f, baseDir: projectDir }, ctx);
    // later files merge into the first one in place: it is copied first, unless no other file can
    // still reach it through the cache (by `extends: {file: …}`)
    merged = merged ? mergeDocuments(merged, doc) : stripResets(files.length === 1 ? doc : cloneLocated(doc));
  }
  return { doc: merged ?? {}, files: files.map((f) => (f === STDIN ? path.join(projectDir, STDIN) : f)), projectDir, env, warnings };
}

export async function loadProject(opts: LoadOptions = {}): Promise<Project> {
  const loaded = await loadDocument(opts);
  const topLevelName = typeof loaded.doc.name === 'string' ? loaded.doc.name : undefined;
  const name = chooseProjectName({
    flag: opts.projectName,
    env: loaded.env.COMPOSE_PROJECT_NAME,
    topLevel: topLevelName,
    directory: loaded.projectDir,
  });
  const profiles = opts.profiles?.length ? opts.profiles : (loaded.env.COMPOSE_PROFILES ?? '').split(',').filter(Boolean);
  return buildProject(loaded.doc, {
    name,
    workingDir: loaded.projectDir,
    configFiles: loaded.files,
    environment: loaded.env,
    profiles,
    targets: opts.services ?? [],
    warnings: loaded.warnings,
  });
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read the stack file from stdin: ${(err as Error).message}`);
  }
}
