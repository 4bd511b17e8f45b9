import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration } from '../../../src/human-duration.js';
import { ago } from '../../../src/cli/output/table.js';

test('durations read like the docker CLI prints them', () => {
  const cases: [number, string][] = [
    [400, 'Less than a second'],
    [1000, '1 second'],
    [59_000, '59 seconds'],
    [60_000, 'About a minute'],
    [119_000, 'About a minute'],
    [120_000, '2 minutes'],
    [59 * 60_000, '59 minutes'],
    [60 * 60_000, 'About an hour'],
    [5 * 3_600_000, '5 hours'],
    [47 * 3_600_000, '47 hours'],
    [3 * 86_400_000, '3 days'],
    [20 * 86_400_000, '2 weeks'],
    [90 * 86_400_000, '3 months'],
    [800 * 86_400_000, '2 years'],
  ];
  for (const [ms, text] of cases) assert.equal(humanDuration(ms), text, `${ms} ms`);
  assert.equal(ago(1000, 1_000_000 + 90_000), 'About a minute ago');
});
