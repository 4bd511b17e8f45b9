// Lists a host tree for a sync: directories before their contents, ignored subtrees not entered.
import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { RuleMatcher } from './matcher.js';

export interface WalkedPath {
  hostPath: string;
  stat: Stats;
}

/** `root` itself (when accepted) and everything below it that the matcher accepts. Missing root: []. */
export async function walkAccepted(root: string, matcher: RuleMatcher): Promise<WalkedPath[]> {
  const found: WalkedPath[] = [];
  const visit = async (p: string): Promise<void> => {
    let stat: Stats;
    try {
      stat = await lstat(p);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      if (matcher.prunesDirectory(p)) return;
      if (matcher.accepts(p, true)) found.push({ hostPath: p, stat });
      let names: string[];
      try {
        names = await readdir(p);
      } catch {
        return;
      }
      for (const name of names.sort()) await visit(path.join(p, name));
    } else if (matcher.accepts(p, false)) {
      found.push({ hostPath: p, stat });
    }
  };
  await visit(root);
  return found;
}
