// The shared compose corpus (/work/shared/compose-corpus): every case marked valid loads and
// serializes like `tscompose config`; every case marked invalid is refused. Skipped when the
// corpus is not on this machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadProject, serializeProject } from '../../../src/model/index.js';

const corpus = process.env.COMPOSE_CORPUS ?? '/work/shared/compose-corpus';

interface Case {
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

export async function runCase(c: Case): Promise<{ ok: boolean; error?: string }> {
  const profiles: string[] = [];
  for (let i = 0; i < c.args.length; i++) if (c.args[i] === '--profile') profiles.push(c.args[++i]!);
  try {
    const p = await loadProject({ files: c.files, cwd: c.dir, profiles, environment: { PATH: process.env.PATH, ...c.env } });
    serializeProject(p);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

const cases = existsSync(corpus)
  ? readdirSync(corpus)
      .filter((d) => existsSync(path.join(corpus, d, 'case.conf')))
      .sort()
      .map((d) => parseConf(path.join(corpus, d)))
  : [];

test('compose corpus: valid files load, invalid files are refused', { skip: cases.length === 0 && 'no corpus' }, async () => {
  const wrong: string[] = [];
  let valid = 0;
  let invalid = 0;
  for (const c of cases) {
    const r = await runCase(c);
    if (c.valid && !r.ok) wrong.push(`${c.name}: refused: ${r.error}`);
    else if (!c.valid && r.ok) wrong.push(`${c.name}: accepted but must be refused`);
    else if (c.valid) valid++;
    else invalid++;
  }
  if (process.env.CORPUS_REPORT) console.log(`corpus: ${valid} valid loaded, ${invalid} invalid refused, ${wrong.length} wrong`);
  assert.deepEqual(wrong, []);
});
