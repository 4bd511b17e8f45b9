// A temporary directory holding the given files, removed after the callback (even when it throws).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export async function withStack<T>(files: Record<string, string>, fn: (dir: string) => Promise<T> | T, dirName = 'proj'): Promise<T> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tsc-model-'));
  const dir = path.join(root, dirName);
  try {
    mkdirSync(dir);
    for (const [name, text] of Object.entries(files)) {
      const p = path.join(dir, name);
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, text);
    }
    return await fn(dir);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
