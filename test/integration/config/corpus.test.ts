// The shared compose corpus (/work/shared/compose-corpus): every case marked valid loads and
// serializes like `tscompose config`; every case marked invalid is refused. Skipped when the
// corpus is not on this machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadProject, serializeProject } from '../../../src/model/index.js';
import { corpusCases, type Case } from '../../helpers/compose-corpus.js';

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

const cases = corpusCases();

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
