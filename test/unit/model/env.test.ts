import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readEnvFile, buildEnvironment } from '../../../src/model/env.js';
import { withStack } from './stack-dir.js';

test('env files: comments, quotes, export, interpolation of earlier values, literal single quotes', () =>
  withStack({ 'a.env': '# comment\nA=1\nexport B="two words"\nC=${A}-${OUTER:-x}\nD=\'${A}\'\nE=\n' }, (dir) => {
    assert.deepEqual(
      readEnvFile(path.join(dir, 'a.env'), (n) => (n === 'OUTER' ? 'o' : undefined)),
      { A: '1', B: 'two words', C: '1-o', D: '${A}', E: '' },
    );
  }));

test('the shell wins over env files; later --env-file wins over earlier; .env only without --env-file', () =>
  withStack({ '.env': 'X=dot\nY=dot\n', 'one.env': 'X=one\nZ=one\n', 'two.env': 'Z=two\n' }, (dir) => {
    assert.deepEqual(buildEnvironment({ Y: 'shell' }, undefined, dir, dir), { X: 'dot', Y: 'shell' });
    assert.deepEqual(buildEnvironment({}, ['one.env', 'two.env'], dir, dir), { X: 'one', Z: 'two' });
    assert.throws(() => buildEnvironment({}, ['missing.env'], dir, dir), /env file .*missing\.env not found/);
  }));
