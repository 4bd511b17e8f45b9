import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expand, parseDockerfile, parsePairs, splitWords } from '../../../src/engine/images/build/dockerfile.js';
import { applyMetadata, parseDuration } from '../../../src/engine/images/build/metadata.js';
import type { ImageRuntimeConfig } from '../../../src/engine/contracts.js';

test('parses continuations, comments, flags and the exec form', () => {
  const df = parseDockerfile(
    [
      '# syntax comment',
      'FROM scratch AS base',
      'RUN echo a \\',
      '  # comment inside',
      '  && echo b',
      'COPY --from=base --chown=1:2 a b /dst/',
      'CMD ["sh", "-c", "x"]',
      '',
    ].join('\n'),
  );
  assert.deepEqual(
    df.map((i) => i.keyword),
    ['FROM', 'RUN', 'COPY', 'CMD'],
  );
  assert.equal(df[1]!.args, 'echo a   && echo b');
  assert.deepEqual(df[2]!.flags, { from: 'base', chown: '1:2' });
  assert.equal(df[2]!.args, 'a b /dst/');
  assert.deepEqual(df[3]!.json, ['sh', '-c', 'x']);
});

test('the escape directive', () => {
  const df = parseDockerfile('# escape=`\nRUN a `\n b\n');
  assert.equal(df[0]!.args, 'a  b');
});

test('variable expansion and word splitting', () => {
  const vars = { A: 'x', E: '' };
  assert.equal(expand('$A ${A} ${B:-d} ${A:+alt} ${E:-def} \\$A', vars), 'x x d alt def $A');
  assert.deepEqual(splitWords(`a "b c" 'd e' f\\ g`), ['a', 'b c', 'd e', 'f g']);
  assert.deepEqual(parsePairs('A=1 B="two words" C='), [
    ['A', '1'],
    ['B', 'two words'],
    ['C', ''],
  ]);
  assert.deepEqual(parsePairs('A legacy value'), [['A', 'legacy value']]);
});

test('config instructions', () => {
  const config: ImageRuntimeConfig = {};
  const vars: Record<string, string> = { V: '1.0' };
  for (const i of parseDockerfile(
    [
      'ENV PATH=/bin VERSION=$V',
      'WORKDIR /app',
      'WORKDIR sub',
      'USER 1000:1000',
      'LABEL a=b "c d"=e',
      'EXPOSE 80 53/udp',
      'VOLUME ["/data"]',
      'SHELL ["/bin/ash", "-c"]',
      'ENTRYPOINT echo hi',
      'STOPSIGNAL SIGTERM',
      'HEALTHCHECK --interval=5s --retries=3 CMD wget -q localhost || exit 1',
    ].join('\n'),
  ))
    applyMetadata(config, i, vars);
  assert.deepEqual(config.Env, ['PATH=/bin', 'VERSION=1.0']);
  assert.equal(config.WorkingDir, '/app/sub');
  assert.equal(config.User, '1000:1000');
  assert.deepEqual(config.Labels, { a: 'b', 'c d': 'e' });
  assert.deepEqual(config.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.deepEqual(config.Volumes, { '/data': {} });
  assert.deepEqual(config.Entrypoint, ['/bin/ash', '-c', 'echo hi']);
  assert.equal(config.StopSignal, 'SIGTERM');
  assert.deepEqual(config.Healthcheck, { Test: ['CMD-SHELL', 'wget -q localhost || exit 1'], Interval: 5e9, Retries: 3 });
  assert.equal(parseDuration('1m30s'), 90e9);
});
