// Where tscompose keeps its caches (the YAML and validation caches of stack files, the CLI's compiled code),
// and whether a directory can be trusted with them.
//
// Where: $TSCOMPOSE_CACHE_DIR, else $XDG_CACHE_HOME/tscompose, else ~/.cache/tscompose; TSCOMPOSE_CACHE=0
// turns them off. An entry decides what a root process deploys or runs, so a cache is used only where nobody
// else can write: the directory and every directory above it must belong to this user or to root and be
// writable by no group or other user (as ssh's StrictModes), and each entry must belong to this user. A
// `sudo` that keeps another user's HOME therefore reads and writes no cache.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** entries kept in one cache; past this, the least recently written are removed when one is added */
const MAX_ENTRIES = 256;

const uid = () => process.geteuid?.() ?? -1;

export function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TSCOMPOSE_CACHE === '0' || env.TSCOMPOSE_CACHE === 'false') return undefined;
  if (env.TSCOMPOSE_CACHE_DIR) return path.resolve(env.TSCOMPOSE_CACHE_DIR);
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) return path.join(env.XDG_CACHE_HOME, 'tscompose');
  const home = env.HOME || os.homedir();
  return home ? path.join(home, '.cache', 'tscompose') : undefined;
}

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

/** Whether a file (from its stat) belongs to this process's user. */
export function sameUser(st: fs.Stats): boolean {
  return st.uid === uid();
}

/** Keeps the `keep` most recently written files ending in `suffix` in `dir`. */
export function pruneOldest(dir: string, suffix: string, keep = MAX_ENTRIES): void {
  const names = fs.readdirSync(dir).filter((n) => n.endsWith(suffix));
  if (names.length <= keep) return;
  const byAge = names
    .map((n) => ({ n, t: fs.statSync(path.join(dir, n)).mtimeMs }))
    .sort((a, b) => a.t - b.t)
    .slice(0, names.length - keep);
  for (const { n } of byAge) fs.rmSync(path.join(dir, n), { force: true });
}

/** The content of the entry `file`, or undefined when it is missing, a symbolic link or another user's. */
export function readEntry(file: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    return sameUser(fs.fstatSync(fd)) ? fs.readFileSync(fd) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes the entry `file` in `dir` whole (a temporary file, readable by this user only, renamed over it), then
 * keeps the `keep` most recently written entries with its extension. Best effort: a failure writes nothing.
 */
export function writeEntry(dir: string, file: string, data: () => string | Buffer, keep = MAX_ENTRIES): void {
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, data(), { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
    pruneOldest(dir, path.extname(file), keep);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}
