// `tscompose config` on each sample stack, compared with checked-in expected output. Runs the built
// CLI (npm run build first); the sample's absolute path is replaced by <SAMPLE_DIR>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repo, runCli } from './cli.js';

const cases: { sample: string; args: string[]; expected: string }[] = [
  { sample: 'webapp', args: ['config'], expected: 'webapp.yaml' },
  { sample: 'extends-profiles', args: ['config'], expected: 'extends-profiles.yaml' },
  { sample: 'extends-profiles', args: ['--profile', 'debug', 'config'], expected: 'extends-profiles.debug.yaml' },
  { sample: 'devloop', args: ['config'], expected: 'devloop.yaml' },
  { sample: 'devloop', args: ['config', '--format', 'json'], expected: 'devloop.json' },
];

for (const c of cases) {
  test(`config ${c.args.join(' ')} on samples/${c.sample} matches ${c.expected}`, () => {
    const dir = path.join(repo, 'samples', c.sample);
    const r = runCli(c.args, dir);
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    const expected = readFileSync(path.join(repo, 'test/integration/config/expected', c.expected), 'utf8');
    assert.equal(r.stdout.replaceAll(dir, '<SAMPLE_DIR>'), expected);
  });
}

test('the same sample loads identically with -f and --project-directory from elsewhere', () => {
  const dir = path.join(repo, 'samples', 'webapp');
  const r = runCli(['-f', path.join(dir, 'compose.yaml'), '--project-directory', dir, 'config'], repo);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout.replaceAll(dir, '<SAMPLE_DIR>'),
    readFileSync(path.join(repo, 'test/integration/config/expected/webapp.yaml'), 'utf8'),
  );
});
