// .dockerignore as Docker reads it (moby/patternmatcher and the docker CLI's context walk), not as gitignore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DockerignoreMatcher } from '../../../src/dockerignore.js';
import { contextFiles } from '../../../src/reconcile/build-context.js';

const excludes = (rules: string, rel: string) => DockerignoreMatcher.parse(rules).excludes(rel);

test('patterns are anchored at the context root; a matching directory takes what is inside it', () => {
  assert.ok(excludes('foo', 'foo'));
  assert.ok(excludes('foo', 'foo/bar/baz.txt'));
  assert.ok(!excludes('foo', 'sub/foo'), 'gitignore would match sub/foo; Docker does not');
  assert.ok(excludes('/foo', 'foo'));
  assert.ok(excludes('./foo/../bar', 'bar'));
  assert.ok(excludes('/../bar', 'bar'), 'above the root is the root');
  assert.ok(!excludes('../bar', 'bar'), "as with Go's filepath.Clean, a leading .. stays and matches nothing");
  assert.ok(excludes('foo/', 'foo/x'));
});

test('wildcards: * and ? stay within a path component, ** spans any number of them', () => {
  assert.ok(excludes('*.md', 'README.md'));
  assert.ok(!excludes('*.md', 'docs/README.md'));
  assert.ok(excludes('*/*.md', 'docs/README.md'));
  assert.ok(excludes('**/*.md', 'docs/deep/README.md'));
  assert.ok(excludes('**/*.md', 'README.md'));
  assert.ok(excludes('docs/**', 'docs/a/b'));
  assert.ok(excludes('a?c', 'abc'));
  assert.ok(!excludes('a?c', 'a/c'));
  assert.ok(excludes('[a-c]x', 'bx'));
  assert.ok(!excludes('a.c', 'abc'), 'a dot is a dot, not any character');
  assert.ok(excludes('a+(b)', 'a+(b)'), 'regexp metacharacters are literal');
});

test('the last matching pattern decides; exceptions re-include, even inside an excluded directory', () => {
  const rules = 'ignored\nDockerfile\n.dockerignore\n!ignored/subdir/excepted-file\n\n# comment\n*.log\n!keep.log\n';
  assert.ok(excludes(rules, 'ignored/subdir/file'));
  assert.ok(!excludes(rules, 'ignored/subdir/excepted-file'));
  assert.ok(excludes(rules, 'app.log'));
  assert.ok(!excludes(rules, 'keep.log'));
  assert.ok(!excludes(rules, '# comment'));
  assert.ok(excludes('*\n!src\nsrc/*.tmp', 'src/a.tmp'));
  assert.ok(!excludes('*\n!src\nsrc/*.tmp', 'src/a.ts'));
});

test("the build context the client sends: what docker-py's dockerignore case expects", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-dockerignore-'));
  try {
    const file = (rel: string) => {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), rel);
    };
    for (const rel of [
      'Dockerfile',
      'ignored/subdir/file',
      'ignored/subdir/excepted-file',
      'ignored/other',
      'not-ignored',
      'sub/ignored',
      'app.log',
    ])
      file(rel);
    writeFileSync(path.join(dir, '.dockerignore'), 'ignored\n!ignored/subdir/excepted-file\n*.log\n');
    assert.deepEqual(contextFiles(dir, 'Dockerfile').sort(), [
      '.dockerignore',
      'Dockerfile',
      'ignored/subdir/excepted-file',
      'not-ignored',
      'sub',
      'sub/ignored',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
