// Documents the schema has accepted before, remembered by hash (an empty file each, in the YAML cache's
// directory and under its rules: see yaml-cache.ts), so a command run again on an unchanged stack neither loads
// nor runs the schema validator. The hash covers the schema and the generated validator, so a new schema or
// validator forgets everything. Only accepted documents are remembered: a refused one is validated, and its
// error described, every time.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { cacheDirectory, privateCacheDirectory, pruneOldest, sameUser } from '../cache-directory.js';

export interface ValidatedDocuments {
  /** the document's key, or undefined when it cannot be keyed (a number JSON cannot write) */
  keyOf(doc: unknown): string | undefined;
  has(key: string): boolean;
  add(key: string): void;
}

/** JSON writes NaN and Infinity as null: a document holding one is not remembered. */
function exactJson(doc: unknown): string | undefined {
  try {
    return JSON.stringify(doc, (_k, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('not finite');
      return v;
    });
  } catch {
    return undefined;
  }
}

// set by scripts/bundle-cli.mjs: validatorFingerprintOf the schema and the generated validator when it built the bundle
declare const __TSCOMPOSE_VALIDATOR__: string | undefined;

/** The hash of the validator's files (the schema and the validator generated from it). */
export function validatorFingerprintOf(validatorFiles: URL[]): string {
  const fingerprint = createHash('sha256');
  for (const f of validatorFiles) fingerprint.update(fs.readFileSync(f));
  return fingerprint.digest('hex');
}

/** What remembered documents depend on. The bundle has the files' hash built in (reading and hashing their
 *  310 KB would cost every command ~5 ms); their sizes and times are added, so a file changed after the build
 *  is not taken for the one built. Run from sources or tsc's output, the files are hashed. */
export function validatorFingerprint(validatorFiles: URL[]): string {
  if (typeof __TSCOMPOSE_VALIDATOR__ !== 'string') return validatorFingerprintOf(validatorFiles);
  const stats = validatorFiles.map((f) => {
    const st = fs.statSync(f);
    return `${st.size}:${st.mtimeMs}`;
  });
  return createHash('sha256').update(__TSCOMPOSE_VALIDATOR__).update(stats.join('\0')).digest('hex');
}

export function openValidatedDocuments(validatorFiles: URL[], dir = cacheDirectory()): ValidatedDocuments | undefined {
  const entries = privateCacheDirectory(dir, 'valid');
  if (!entries) return undefined;
  let prefix: string;
  try {
    prefix = validatorFingerprint(validatorFiles);
  } catch {
    return undefined;
  }
  const file = (key: string) => path.join(entries, `${key}.ok`);
  return {
    keyOf(doc) {
      const json = exactJson(doc);
      return json === undefined ? undefined : createHash('sha256').update(prefix).update('\0').update(json).digest('hex');
    },
    has(key) {
      try {
        return sameUser(fs.lstatSync(file(key)));
      } catch {
        return false;
      }
    },
    add(key) {
      try {
        fs.writeFileSync(file(key), '', { mode: 0o600 });
        pruneOldest(entries, '.ok');
      } catch {
        /* best effort: the document is validated again next time */
      }
    },
  };
}
