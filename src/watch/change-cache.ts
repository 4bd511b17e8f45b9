// What was last copied into the container for each host file, so a save that changed nothing
// (same content, new mtime; a `git checkout` back and forth) is not synced again.
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import path from 'node:path';

interface FileState {
  size: number;
  mtimeMs: number;
  hash?: string;
}

/** Files larger than this are compared by size and mtime only. */
const HASH_LIMIT = 64 * 1024 * 1024;
const DIRECTORY = -1;

export function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha1');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

export class ChangeCache {
  private readonly states = new Map<string, FileState>();

  async isUnchanged(file: string, stat: Stats): Promise<boolean> {
    const known = this.states.get(file);
    if (!known || known.size !== stat.size) return false;
    if (known.mtimeMs === stat.mtimeMs) return true;
    if (!known.hash || stat.size > HASH_LIMIT) return false;
    let hash: string;
    try {
      hash = await hashFile(file);
    } catch {
      return false;
    }
    if (hash !== known.hash) return false;
    known.mtimeMs = stat.mtimeMs;
    return true;
  }

  /** Directories already created in the container (their entry need not be sent again). */
  hasDirectory(dir: string): boolean {
    return this.states.get(dir)?.size === DIRECTORY;
  }

  recordDirectory(dir: string): void {
    this.states.set(dir, { size: DIRECTORY, mtimeMs: 0 });
  }

  record(file: string, stat: { size: number; mtimeMs: number }, hash?: string): void {
    this.states.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, hash });
  }

  /** Forgets these paths and everything under them (one pass, however many paths). */
  forget(paths: Iterable<string>): void {
    const gone = new Set(paths);
    if (gone.size === 0) return;
    for (const key of this.states.keys()) {
      for (let p = key; ;) {
        if (gone.has(p)) {
          this.states.delete(key);
          break;
        }
        const parent = path.dirname(p);
        if (parent === p) break;
        p = parent;
      }
    }
  }

  clear(): void {
    this.states.clear();
  }
}
