// The engine's log: logfmt lines with the component and object ids, levels, and size-based rotation of the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, formatLine, logFailure } from '../../../src/engine/log.js';

test('a line says when, how bad, what, and about which part and object; values needing quotes are quoted', () => {
  const line = formatLine(
    'warn',
    'detaching "x" failed',
    { component: 'network', container: 'abc123', note: 'two words', skipped: undefined },
    new Date('2026-01-02T03:04:05.000Z'),
  );
  assert.equal(
    line,
    'time="2026-01-02T03:04:05.000Z" level=warn msg="detaching \\"x\\" failed" component=network container=abc123 note="two words"',
  );
});

test('levels below the threshold are dropped; children add their fields', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'info', write: (l) => lines.push(l) });
  log.debug('not shown');
  log.child({ component: 'containers' }).child({ container: 'c1' }).info('started');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /level=info msg="started" component=containers container=c1\n$/);
});

test('logFailure turns a rejected best-effort step into a warning and carries on', async () => {
  const lines: string[] = [];
  const log = createLogger({ write: (l) => lines.push(l) });
  const result = await Promise.reject(new Error('EBUSY')).catch(logFailure(log, 'removing the cgroup', { container: 'c2' }));
  assert.equal(result, undefined);
  assert.match(lines[0]!, /level=warn msg="removing the cgroup: EBUSY" container=c2/);
});

test('the file is rotated past its size, keeping a bounded number of old files', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-log-'));
  try {
    const file = path.join(dir, 'engine.log');
    const log = createLogger({ file, maxBytes: 1000, keep: 2, write: () => {} });
    for (let i = 0; i < 100; i++) log.warn(`event ${i} ${'x'.repeat(50)}`);
    assert.ok(readFileSync(file, 'utf8').length <= 1000);
    assert.ok(existsSync(`${file}.1`) && existsSync(`${file}.2`));
    assert.ok(!existsSync(`${file}.3`), 'no more than `keep` old files');
    assert.match(readFileSync(file, 'utf8'), /event 99 /, 'the newest line is in the current file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
