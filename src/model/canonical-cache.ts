// Stack files in canonical form, remembered: what load-file.ts makes of a file before its `include` and
// `extends` are resolved (interpolated, checked for repeats, validated, short syntaxes expanded, paths made
// absolute), with its positions, kept under the hash of everything that form depends on:
// - the file's text, and the code that reads and transforms it (the bundle has the hash of src/model/ and of the
//   yaml package built in; the schema and validator are hashed as the validation cache does, their sizes and
//   times included);
// - the file's path (its positions and warnings name it), the directory relative paths resolve against, the
//   home directory (`~/`), and whether it is interpolated;
// - the variables interpolation looked up and what each was (set or not): kept in the entry and compared with
//   this run's before the entry is used, since which ones are looked up depends on the text.
// The warnings those steps gave (an unset variable, an obsolete `version`) are kept too and given again.
//
// On an unchanged stack a command reads one entry instead of the YAML cache's and redoing every step: `config` of
// 500 services spent ~40 ms in them. Only the CLI's bundle keeps these (elsewhere the code's hash is not known
// without reading all of it). Where entries live and which are trusted: cache-directory.ts.
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { decodeLocated, encodeLocated } from './located-codec.js';
import { isMap, type PlainMap } from './located.js';
import { privateCacheDirectory, readEntry, writeEntry } from '../cache-directory.js';
import { validatorFingerprint } from './validation-cache.js';
import { SCHEMA_URL, STANDALONE_URL } from './schema-compiler.js';

// set by scripts/bundle-cli.mjs: the hash of src/model/ and of the yaml package's version
declare const __TSCOMPOSE_MODEL__: string | undefined;

/** entries kept: a big stack's is ~1 MB */
const MAX_ENTRIES = 64;

/** What a file's canonical form is made from, besides the variables. */
export interface CanonicalSource {
  text: string;
  file: string;
  baseDir: string;
  interpolate: boolean;
}

/** The variables interpolation looked up, each with its value (undefined: not set). */
export type LookedUp = Map<string, string | undefined>;

export interface CanonicalForms {
  /** the canonical form of `src`, when one was kept and `env` gives every variable it looked up as it was */
  get(src: CanonicalSource, env: (name: string) => string | undefined): { doc: PlainMap; warnings: string[] } | undefined;
  /** call before anything changes `doc` */
  put(src: CanonicalSource, doc: PlainMap, variables: LookedUp, warnings: string[]): void;
}

interface Head {
  variables: [string, string | null][];
  warnings: string[];
}

export function openCanonicalForms(dir: string | undefined): CanonicalForms | undefined {
  if (typeof __TSCOMPOSE_MODEL__ !== 'string') return undefined;
  const entries = privateCacheDirectory(dir, 'canonical');
  if (!entries) return undefined;
  let prefix: string;
  try {
    prefix = `${__TSCOMPOSE_MODEL__}\0${validatorFingerprint([SCHEMA_URL, STANDALONE_URL])}\0${os.homedir()}`;
  } catch {
    return undefined;
  }
  const entryOf = (src: CanonicalSource) => {
    const key = createHash('sha256').update(`${prefix}\0${src.file}\0${src.baseDir}\0${src.interpolate}\0`).update(src.text).digest('hex');
    return path.join(entries, `${key}.json`);
  };
  return {
    get(src, env) {
      const data = readEntry(entryOf(src));
      if (!data) return undefined;
      try {
        const text = data.toString('utf8');
        const lineEnd = text.indexOf('\n');
        const head = JSON.parse(text.slice(0, lineEnd)) as Head;
        for (const [name, value] of head.variables) if ((env(name) ?? null) !== value) return undefined;
        const doc = decodeLocated(text.slice(lineEnd + 1), src.file);
        if (!isMap(doc) || !head.warnings.every((w) => typeof w === 'string')) return undefined;
        return { doc, warnings: head.warnings };
      } catch {
        return undefined; // corrupt: make the form again
      }
    },
    put(src, doc, variables, warnings) {
      // `__proto__` as a key does not survive JSON as it was read
      if (src.text.includes('__proto__')) return;
      const head: Head = { variables: [...variables].map(([name, value]) => [name, value ?? null]), warnings };
      writeEntry(entries, entryOf(src), () => `${JSON.stringify(head)}\n${encodeLocated(doc)}`, MAX_ENTRIES);
    },
  };
}
