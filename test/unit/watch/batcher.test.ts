import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Batcher } from '../../../src/watch/batcher.js';

const collector = (work: () => Promise<void> = async () => {}) => {
  const batches: string[][] = [];
  const batcher = new Batcher<string>(
    { debounceMs: 20, maxWaitMs: 10_000 },
    (s) => s,
    async (items) => {
      batches.push(items);
      await work();
    },
  );
  return { batches, batcher };
};

test('a burst of changes becomes one batch, duplicates merged', async () => {
  const { batches, batcher } = collector();
  for (let i = 0; i < 100; i++) batcher.add(`f${i % 10}`);
  await batcher.idle();
  assert.equal(batches.length, 1);
  assert.equal(batches[0]!.length, 10);
});

test('changes that keep coming are flushed by the max wait', async () => {
  const batches: string[][] = [];
  const batcher = new Batcher<string>(
    { debounceMs: 1000, maxWaitMs: 30 },
    (s) => s,
    async (items) => {
      batches.push(items);
    },
  );
  batcher.add('a');
  await sleep(5);
  batcher.add('b');
  await batcher.idle(); // the debounce alone would wait a second after "b"; the max wait flushes sooner
  assert.deepEqual(batches, [['a', 'b']]);
});

test('changes during a running flush wait for it and form the next batch', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let calls = 0;
  const { batches, batcher } = collector(async () => {
    if (calls++ === 0) await gate;
  });
  batcher.add('first');
  while (batches.length === 0) await sleep(5);
  batcher.add('second');
  batcher.add('third');
  await sleep(60); // well past the debounce: still no second flush while the first runs
  assert.equal(batches.length, 1);
  release();
  await batcher.idle();
  assert.deepEqual(batches, [['first'], ['second', 'third']]);
});

test('a failing flush does not stop later batches; close drops pending changes', async () => {
  const batches: string[][] = [];
  const batcher = new Batcher<string>(
    { debounceMs: 5, maxWaitMs: 50 },
    (s) => s,
    async (items) => {
      batches.push(items);
      if (items.includes('boom')) throw new Error('boom');
    },
  );
  batcher.add('boom');
  await batcher.idle();
  batcher.add('ok');
  await batcher.idle();
  assert.deepEqual(batches, [['boom'], ['ok']]);
  batcher.add('late');
  await batcher.close();
  assert.equal(batches.length, 2);
});
