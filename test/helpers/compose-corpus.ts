// The shared compose corpus (/work/shared/compose-corpus, or $COMPOSE_CORPUS): one directory per case, whose
// case.conf says which files to load, with which arguments and variables, and whether it is meant to be invalid.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const corpus = process.env.COMPOSE_CORPUS ?? '/work/shared/compose-corpus';

export interface Case {
  name: string;
  dir: string;
  files: string[];
  args: string[];
  env: Record<string, string>;
  valid: boolean;
}

function parseConf(dir: string): Case {
  const conf: Record<string, string> = {};
  for (const line of readFileSync(path.join(dir, 'case.conf'), 'utf8').split('\n')) {
    const m = /^([A-Z]+)=(?:"(.*)"|(.*))$/.exec(line.trim());
    if (m) conf[m[1]!] = m[2] ?? m[3] ?? '';
  }
  const env: Record<string, string> = {};
  for (const kv of (conf.ENV ?? '').split(/\s+/).filter(Boolean)) {
    const eq = kv.indexOf('=');
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return {
    name: path.basename(dir),
    dir,
    files: (conf.FILES ?? 'compose.yaml').split(/\s+/).filter(Boolean),
    args: (conf.ARGS ?? '').split(/\s+/).filter(Boolean),
    env,
    valid: conf.EXPECT !== 'invalid',
  };
}

/** Every case of the corpus, by name; none when the corpus is not on this machine. */
export function corpusCases(): Case[] {
  return existsSync(corpus)
    ? readdirSync(corpus)
        .filter((d) => existsSync(path.join(corpus, d, 'case.conf')))
        .sort()
        .map((d) => parseConf(path.join(corpus, d)))
    : [];
}
