// Documents the schema has accepted before, remembered by hash (an empty file each, in the YAML cache's
// directory and under its rules: see yaml-cache.ts), so a command run again on an unchanged stack neither loads
// nor runs the schema validator. The hash covers the schema and the generated validator, so a new schema or
// validator forgets everything. Only accepted documents are remembered: a refused one is validated, and its
// error described, every time.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { cacheDirectory, privateCacheDirectory, pruneOldest } from '../cache-directory.js';

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

export function openValidatedDocuments(validatorFiles: URL[], dir = cacheDirectory()): ValidatedDocuments | undefined {
  const entries = privateCacheDirectory(dir, 'valid');
  if (!entries) return undefined;
  const fingerprint = createHash('sha256');
  try {
    for (const f of validatorFiles) fingerprint.update(fs.readFileSync(f));
  } catch {
    return undefined;
  }
  const prefix = fingerprint.digest('hex');
  const file = (key: string) => path.join(entries, `${key}.ok`);
  return {
    keyOf(doc) {
      const json = exactJson(doc);
      return json === undefined ? undefined : createHash('sha256').update(prefix).update('\0').update(json).digest('hex');
    },
    has(key) {
      try {
        return fs.lstatSync(file(key)).uid === (process.geteuid?.() ?? -1);
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
