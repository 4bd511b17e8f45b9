// A cache of read stack files: the located plain values (values and positions) that reading a YAML text
// gave, under the hash of that text and of the reader, so a command run again on an unchanged file skips
// YAML parsing, and the yaml package is not even loaded. Parsing is most of `config`'s time on a big file.
//
// Where: $TSCOMPOSE_CACHE_DIR, else $XDG_CACHE_HOME/tscompose, else ~/.cache/tscompose; TSCOMPOSE_CACHE=0
// turns it off. An entry decides what a root process deploys, so the cache is used only where nobody else
// can write: the directory and every directory above it must belong to this user or to root and be
// writable by no group or other user (as ssh's StrictModes), and each entry must belong to this user. A
// `sudo` that keeps another user's HOME therefore reads and writes no cache. Any failure (unwritable,
// corrupt, foreign) means parsing the file as if there were no cache.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeLocated, encodeLocated } from './located-codec.js';
import type { Plain } from './located.js';

/** entries kept; past this, the least recently written are removed when one is added */
const MAX_ENTRIES = 256;

export interface YamlCache {
  get(text: string, file: string): Plain | undefined;
  /** call before anything changes `value` */
  put(text: string, value: Plain): void;
}

export function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TSCOMPOSE_CACHE === '0' || env.TSCOMPOSE_CACHE === 'false') return undefined;
  if (env.TSCOMPOSE_CACHE_DIR) return path.resolve(env.TSCOMPOSE_CACHE_DIR);
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) return path.join(env.XDG_CACHE_HOME, 'tscompose');
  const home = env.HOME || os.homedir();
  return home ? path.join(home, '.cache', 'tscompose') : undefined;
}

const uid = () => process.geteuid?.() ?? -1;

/** Whether no user but this one (or root) can change what is in `dir`: the directory and all above it. */
export function isPrivateDirectory(dir: string): boolean {
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch {
    return false;
  }
  for (let d = real; ; d = path.dirname(d)) {
    const st = fs.statSync(d);
    if (!st.isDirectory() || (st.uid !== uid() && st.uid !== 0) || (st.mode & 0o022) !== 0) return false;
    if (d === path.dirname(d)) return true;
  }
}

/** `dir`/`part` (made, private, when missing), or undefined where it cannot be trusted or made. */
export function privateCacheDirectory(dir: string | undefined, part: string): string | undefined {
  if (!dir) return undefined;
  const sub = path.join(dir, part);
  try {
    fs.mkdirSync(sub, { recursive: true, mode: 0o700 });
    return isPrivateDirectory(sub) ? sub : undefined;
  } catch {
    return undefined;
  }
}

/** The cache at `dir` (made, private, when missing), or undefined where it cannot be trusted or made. */
export function openYamlCache(dir: string | undefined, readerFingerprint: string): YamlCache | undefined {
  const entries = privateCacheDirectory(dir, 'yaml');
  if (!entries) return undefined;
  const keyOf = (text: string) => createHash('sha256').update(readerFingerprint).update('\0').update(text).digest('hex');
  return {
    get(text, file) {
      const entry = path.join(entries, `${keyOf(text)}.json`);
      let fd: number | undefined;
      try {
        fd = fs.openSync(entry, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
        if (fs.fstatSync(fd).uid !== uid()) return undefined;
        return decodeLocated(fs.readFileSync(fd, 'utf8'), file);
      } catch {
        return undefined; // missing, foreign or corrupt: read the file
      } finally {
        if (fd !== undefined) fs.closeSync(fd);
      }
    },
    put(text, value) {
      // `__proto__` as a key does not survive JSON as it was read (an own key after parsing, a prototype before)
      if (text.includes('__proto__')) return;
      const entry = path.join(entries, `${keyOf(text)}.json`);
      const tmp = path.join(entries, `.${path.basename(entry)}.${process.pid}.tmp`);
      try {
        fs.writeFileSync(tmp, encodeLocated(value), { mode: 0o600, flag: 'wx' });
        fs.renameSync(tmp, entry);
        pruneOldest(entries, '.json');
      } catch {
        fs.rmSync(tmp, { force: true });
      }
    },
  };
}

/** Keeps the MAX_ENTRIES most recently written files ending in `suffix` in `dir`. */
export function pruneOldest(dir: string, suffix: string): void {
  const names = fs.readdirSync(dir).filter((n) => n.endsWith(suffix));
  if (names.length <= MAX_ENTRIES) return;
  const byAge = names
    .map((n) => ({ n, t: fs.statSync(path.join(dir, n)).mtimeMs }))
    .sort((a, b) => a.t - b.t)
    .slice(0, names.length - MAX_ENTRIES);
  for (const { n } of byAge) fs.rmSync(path.join(dir, n), { force: true });
}
