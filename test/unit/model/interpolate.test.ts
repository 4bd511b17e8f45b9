import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interpolate, InterpolationError } from '../../../src/model/interpolate.js';

const env: Record<string, string> = { A: 'a', EMPTY: '', B: 'b' };
const lookup = (n: string) => env[n];
const run = (s: string) => interpolate(s, lookup);

test('plain and braced variables', () => {
  assert.equal(run('x$A-y'), 'xa-y');
  assert.equal(run('${A}${B}'), 'ab');
  assert.equal(run('$A_suffix'), '');
  assert.equal(run('${A}_suffix'), 'a_suffix');
});

test('defaults distinguish unset from empty', () => {
  assert.equal(run('${EMPTY:-d}'), 'd');
  assert.equal(run('${EMPTY-d}'), '');
  assert.equal(run('${UNSET-d}'), 'd');
  assert.equal(run('${UNSET:-d}'), 'd');
  assert.equal(run('${A:-d}'), 'a');
});

test('alternatives', () => {
  assert.equal(run('${A:+alt}'), 'alt');
  assert.equal(run('${EMPTY:+alt}'), '');
  assert.equal(run('${EMPTY+alt}'), 'alt');
  assert.equal(run('${UNSET+alt}'), '');
});

test('required variables raise an error with the message', () => {
  assert.throws(
    () => run('${UNSET:?please set it}'),
    (e: Error) => e instanceof InterpolationError && e.message === 'required variable UNSET is missing a value: please set it',
  );
  assert.throws(() => run('${EMPTY:?}'), /required variable EMPTY is missing a value$/);
  assert.equal(run('${EMPTY?x}'), '');
  assert.throws(() => run('${UNSET?gone}'), /UNSET is missing a value: gone/);
});

test('nesting, and unused branches are not evaluated', () => {
  assert.equal(run('${UNSET:-${B:-x}}'), 'b');
  assert.equal(run('${UNSET:-${NOPE:-x}}'), 'x');
  assert.equal(run('${A:-${UNSET:?never raised}}'), 'a');
  assert.equal(run('${UNSET:-pre-${A}-post}'), 'pre-a-post');
});

test('$$ is a literal dollar and a lone $ stays', () => {
  assert.equal(run('$$A'), '$A');
  assert.equal(run('cost: 5$'), 'cost: 5$');
  assert.equal(run('$${A}'), '${A}');
});

test('unset variables are reported to the hook', () => {
  const seen: string[] = [];
  assert.equal(interpolate('${NOPE}x', lookup, { onUnset: (n) => seen.push(n) }), 'x');
  assert.deepEqual(seen, ['NOPE']);
});

test('malformed templates are errors', () => {
  assert.throws(() => run('${A'), InterpolationError);
  assert.throws(() => run('${}'), InterpolationError);
  assert.throws(() => run('${A!x}'), InterpolationError);
});

test('templateVariables lists names with required, default and alternate values', async () => {
  const { templateVariables } = await import('../../../src/model/interpolate.js');
  assert.deepEqual(templateVariables('$A ${B:-x} ${C?no} ${D:+alt} ${E:-${F}} $$G'), [
    { name: 'A', required: false },
    { name: 'B', required: false, defaultValue: 'x' },
    { name: 'C', required: true },
    { name: 'D', required: false, alternateValue: 'alt' },
    { name: 'E', required: false, defaultValue: '${F}' },
    { name: 'F', required: false },
  ]);
});
