import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerignoreToGitignore, RuleMatcher } from '../../../src/watch/matcher.js';

const rule = (ignore: string[] = [], include: string[] = []) => ({ path: '/p/src', ignore, include });

test('ignore patterns are relative to the rule path, with gitignore semantics', () => {
  const m = new RuleMatcher(rule(['node_modules/', '*.log', '/build']));
  assert.equal(m.accepts('/p/src/app.js', false), true);
  assert.equal(m.accepts('/p/src/debug.log', false), false);
  assert.equal(m.accepts('/p/src/deep/x.log', false), false);
  assert.equal(m.accepts('/p/src/node_modules/x/index.js', false), false);
  assert.equal(m.prunesDirectory('/p/src/node_modules'), true);
  assert.equal(m.prunesDirectory('/p/src/lib'), false);
  assert.equal(m.accepts('/p/src/build/out.js', false), false);
  assert.equal(m.accepts('/p/src/lib/build/out.js', false), true);
});

test('editor temporary files and .git are always ignored', () => {
  const m = new RuleMatcher(rule());
  for (const p of ['.main.js.swp', 'main.js~', '4913', '#main.js#', '.#main.js', 'x___jb_tmp___', '.git/HEAD']) {
    assert.equal(m.accepts(`/p/src/${p}`, false), false, p);
  }
  assert.equal(m.prunesDirectory('/p/src/.git'), true);
});

test('include patterns admit only matching files but never prune directories', () => {
  const m = new RuleMatcher(rule(['skip.ts'], ['*.ts']));
  assert.equal(m.accepts('/p/src/a.ts', false), true);
  assert.equal(m.accepts('/p/src/deep/b.ts', false), true);
  assert.equal(m.accepts('/p/src/a.js', false), false);
  assert.equal(m.accepts('/p/src/deep', true), true);
  assert.equal(m.prunesDirectory('/p/src/deep'), false);
  assert.equal(m.accepts('/p/src/skip.ts', false), false);
});

test('paths outside the rule are not accepted; the rule path itself is', () => {
  const m = new RuleMatcher(rule(['*']));
  assert.equal(m.accepts('/p/other/a', false), false);
  assert.equal(m.accepts('/p/src', true), true);
});

test('.dockerignore patterns are anchored at the build context and support negation', () => {
  assert.deepEqual(dockerignoreToGitignore('# c\n\nnode_modules\n./dist/\n!dist/keep.js\n**/*.tmp\n/abs\n'), [
    '/node_modules',
    '/dist/',
    '!/dist/keep.js',
    '/**/*.tmp',
    '/abs',
  ]);
  const m = new RuleMatcher(rule(), { context: '/p', patterns: dockerignoreToGitignore('src/*.bak\n*.md\n**/*.tmp\n') });
  assert.equal(m.accepts('/p/src/x.bak', false), false);
  assert.equal(m.accepts('/p/src/deep/x.bak', false), true);
  assert.equal(m.accepts('/p/src/README.md', false), true); // *.md is anchored at the context root
  assert.equal(m.accepts('/p/src/a/b.tmp', false), false);
});
