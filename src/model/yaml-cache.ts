// A cache of read stack files: the located plain values (values and positions) that reading a YAML text
// gave, under the hash of that text and of the reader, so a command run again on an unchanged file skips
// YAML parsing, and the yaml package is not even loaded. Parsing is most of `config`'s time on a big file.
//
// Where, which directories are trusted and which entries read: cache-directory.ts. Any failure (unwritable,
// corrupt, foreign) means parsing the file as if there were no cache.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { decodeLocated, encodeLocated } from './located-codec.js';
import type { Plain } from './located.js';
import { privateCacheDirectory, readEntry, writeEntry } from '../cache-directory.js';

export interface YamlCache {
  get(text: string, file: string): Plain | undefined;
  /** call before anything changes `value` */
  put(text: string, value: Plain): void;
}

/** The cache at `dir` (made, private, when missing), or undefined where it cannot be trusted or made. */
export function openYamlCache(dir: string | undefined, readerFingerprint: string): YamlCache | undefined {
  const entries = privateCacheDirectory(dir, 'yaml');
  if (!entries) return undefined;
  const keyOf = (text: string) => createHash('sha256').update(readerFingerprint).update('\0').update(text).digest('hex');
  return {
    get(text, file) {
      const data = readEntry(path.join(entries, `${keyOf(text)}.json`));
      try {
        return data && decodeLocated(data.toString('utf8'), file);
      } catch {
        return undefined; // corrupt: read the file
      }
    },
    put(text, value) {
      // `__proto__` as a key does not survive JSON as it was read (an own key after parsing, a prototype before)
      if (text.includes('__proto__')) return;
      writeEntry(entries, path.join(entries, `${keyOf(text)}.json`), () => encodeLocated(value));
    },
  };
}
