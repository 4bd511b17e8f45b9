// One stack file from text to its canonical, self-contained form: parsed with positions,
// interpolated, validated against the schema, short syntaxes expanded, `include` and `extends`
// resolved (each with paths relative to the file that names them).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { readYamlCached } from './read-yaml.js';
import { cloneLocated, isMap, type PlainMap } from './located.js';
import { interpolateTree } from './interpolate-tree.js';
import { validateDocument } from './validate.js';
import { enforceUnicity } from './unicity.js';
import { canonicalizeFile } from './canonical.js';
import { mergeDocuments, mergeServices, stripResets } from './merge.js';
import { problemAt } from './problems.js';
import { buildEnvironment, type Environment } from './env.js';
import { openCanonicalForms, type CanonicalForms, type CanonicalSource, type LookedUp } from './canonical-cache.js';
import { cacheDirectory } from '../cache-directory.js';

export interface FileContext {
  env: Environment;
  interpolate: boolean;
  warn: (message: string) => void;
  /** every file read so far, for cycle checks and reuse by `extends` */
  cache: Map<string, PlainMap>;
}

export interface FileSource {
  file: string;
  text?: string;
  baseDir: string;
}

export async function loadFile(src: FileSource, ctx: FileContext, includeStack: string[] = []): Promise<PlainMap> {
  const cacheKey = `${src.file}\0${src.baseDir}`;
  const cached = ctx.cache.get(cacheKey);
  if (cached) return cached;
  const text = src.text ?? readText(src.file);
  const doc = await canonicalForm({ text, file: src.file, baseDir: src.baseDir, interpolate: ctx.interpolate }, ctx);
  ctx.cache.set(cacheKey, doc);
  const result = await resolveIncludes(doc, src, ctx, includeStack);
  await resolveAllExtends(result, src, ctx);
  ctx.cache.set(cacheKey, result);
  return result;
}

let forms: CanonicalForms | undefined | null = null;

/** The file's text in canonical form: remembered (canonical-cache.ts), or read and made so, and then remembered. */
async function canonicalForm(source: CanonicalSource, ctx: FileContext): Promise<PlainMap> {
  const { file } = source;
  if (forms === null) forms = openCanonicalForms(cacheDirectory());
  const kept = forms?.get(source, (name) => ctx.env[name]);
  if (kept) {
    for (const w of kept.warnings) ctx.warn(w);
    return kept.doc;
  }
  const raw = await readYamlCached(source.text, file);
  if (raw === null) throw new UserError(`${file}: the file is empty; a stack file needs at least a services: section`);
  if (!isMap(raw)) throw new UserError(`${file}:1:1: the top level of a stack file must be a mapping (services:, networks:, …)`);
  const doc = raw;
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    ctx.warn(message);
  };
  const lookedUp: LookedUp = new Map();
  if (source.interpolate) {
    const warned = new Set<string>();
    interpolateTree(
      doc,
      (name) => {
        const value = ctx.env[name];
        lookedUp.set(name, value);
        return value;
      },
      (name) => {
        if (warned.has(name)) return;
        warned.add(name);
        warn(`The "${name}" variable is not set. Defaulting to a blank string.`);
      },
    );
  }
  enforceUnicity(doc);
  validateDocument(doc, file);
  if ('version' in doc) {
    warn(`${file}: the attribute "version" is obsolete, it will be ignored`);
    delete doc.version;
  }
  canonicalizeFile(doc, source.baseDir);
  forms?.put(source, doc, lookedUp, warnings);
  return doc;
}

/** A file that cannot be found is reported at the key that names it. */
async function withPosition<T>(doc: PlainMap, at: (string | number)[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof MissingFileError) throw problemAt(doc, at, err.message);
    throw err;
  }
}

class MissingFileError extends UserError {}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new MissingFileError(`stack file ${file} not found`);
    throw new UserError(`cannot read stack file ${file}: ${e.message}`);
  }
}

// ---- include -------------------------------------------------------------------------------

async function resolveIncludes(doc: PlainMap, src: FileSource, ctx: FileContext, stack: string[]): Promise<PlainMap> {
  const includes = doc.include;
  if (!Array.isArray(includes)) return doc;
  let out = doc;
  for (const [i, entry] of includes.entries()) {
    const spec = typeof entry === 'string' ? { path: entry } : (entry as PlainMap);
    const paths = (Array.isArray(spec.path) ? spec.path : [spec.path]).map((p) => path.resolve(src.baseDir, String(p)));
    for (const p of paths) {
      if (p === src.file || stack.includes(p)) {
        throw problemAt(doc, ['include', i], `include cycle: ${[...stack, src.file, p].map((f) => path.basename(f)).join(' → ')}`);
      }
    }
    const projectDir = spec.project_directory ? path.resolve(src.baseDir, String(spec.project_directory)) : path.dirname(paths[0]!);
    const envFiles =
      spec.env_file === undefined
        ? undefined
        : (Array.isArray(spec.env_file) ? spec.env_file : [spec.env_file]).map((f) => path.resolve(src.baseDir, String(f)));
    const env = { ...buildEnvironment({}, envFiles, projectDir, src.baseDir), ...ctx.env };
    const subCtx: FileContext = { ...ctx, env, cache: new Map() };
    let included: PlainMap | undefined;
    for (const p of paths) {
      const d = await withPosition(doc, ['include', i], () => loadFile({ file: p, baseDir: projectDir }, subCtx, [...stack, src.file]));
      included = included ? mergeDocuments(included, d) : stripResets(cloneLocated(d));
    }
    if (included) {
      // an included service builds relative to the included project's directory
      for (const svc of Object.values(isMap(included.services) ? included.services : {})) {
        if (isMap(svc) && isMap(svc.build) && svc.build.context === undefined) svc.build.context = projectDir;
      }
      out = addIncluded(out, included, doc, i);
    }
  }
  delete out.include;
  return out;
}

function addIncluded(doc: PlainMap, included: PlainMap, root: PlainMap, index: number): PlainMap {
  for (const kind of ['services', 'networks', 'volumes', 'secrets', 'configs', 'models']) {
    const inc = included[kind];
    if (!isMap(inc)) continue;
    const own = isMap(doc[kind]) ? (doc[kind] as PlainMap) : (doc[kind] = {});
    for (const [key, def] of Object.entries(inc)) {
      if (key in own && (kind === 'services' || JSON.stringify(own[key]) !== JSON.stringify(def))) {
        throw problemAt(
          root,
          [kind, key],
          `${kind}.${key} conflicts with the ${kind.replace(/s$/, '')} of the same name imported by include[${index}]`,
          'key',
        );
      }
      own[key] = def;
    }
  }
  return doc;
}

// ---- extends -------------------------------------------------------------------------------

async function resolveAllExtends(doc: PlainMap, src: FileSource, ctx: FileContext): Promise<void> {
  const services = doc.services;
  if (!isMap(services)) return;
  for (const name of Object.keys(services)) await resolveExtends(doc, name, src, ctx, []);
}

async function resolveExtends(doc: PlainMap, name: string, src: FileSource, ctx: FileContext, stack: string[]): Promise<PlainMap> {
  const services = doc.services as PlainMap;
  const svc = services[name] as PlainMap;
  const ext = svc?.extends;
  if (!isMap(ext)) return svc;
  const id = `${src.file}#${name}`;
  if (stack.includes(id)) {
    const cycle = [...stack, id].map((s) => s.split('#')[1]).join(' → ');
    throw problemAt(doc, ['services', name, 'extends'], `extends cycle: ${cycle}`);
  }
  const baseName = String(ext.service);
  let base: PlainMap;
  if (typeof ext.file === 'string' && ext.file !== src.file) {
    const otherSrc: FileSource = { file: ext.file, baseDir: path.dirname(ext.file) };
    const other = await withPosition(doc, ['services', name, 'extends', 'file'], () => loadFile(otherSrc, ctx));
    const otherServices = isMap(other.services) ? other.services : {};
    if (!isMap(otherServices[baseName])) {
      throw problemAt(doc, ['services', name, 'extends', 'service'], `service "${baseName}" not found in ${ext.file}`);
    }
    base = await resolveExtends(other, baseName, otherSrc, ctx, [...stack, id]);
  } else {
    if (!isMap(services[baseName])) {
      throw problemAt(doc, ['services', name, 'extends', 'service'], `cannot extend service "${baseName}": no such service in ${src.file}`);
    }
    base = await resolveExtends(doc, baseName, src, ctx, [...stack, id]);
  }
  const own = cloneLocated(svc);
  delete own.extends;
  const merged = mergeServices(stripResets(cloneLocated(base)), own, name);
  services[name] = merged;
  return merged;
}
