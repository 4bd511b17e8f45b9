import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  engineSide,
  footprint,
  parseSmapsRollup,
  parseStatPpid,
  parseStatusRss,
  snapshot,
  ownPidNs,
  type ProcInfo,
} from '../../../bench/process-memory.js';

const HOST = 'pid:[4026531836]';
const CONTAINER = 'pid:[4026532182]';
const proc = (pid: number, ppid: number, name: string, pidNs = HOST): ProcInfo => ({ pid, ppid, name, argv: [name], pidNs });

test('the parent pid is read after the last parenthesis, whatever the name holds', () => {
  assert.equal(parseStatPpid('4242 (node) S 17 4242 4242 0 -1 4194560 2000 0'), 17);
  assert.equal(parseStatPpid('4243 (a) b (c) S 99 4243 1 0 -1'), 99);
});

test('Rss and Pss come from smaps_rollup, VmRSS from status', () => {
  const rollup =
    '00400000-7fff73988000 ---p 00000000 00:00 0   [rollup]\nRss:               72544 kB\nPss:               40551 kB\nPss_Dirty:         29104 kB\n';
  assert.deepEqual(parseSmapsRollup(rollup), { rssKb: 72544, pssKb: 40551 });
  assert.equal(parseSmapsRollup('Rss: 12 kB\n'), undefined);
  assert.equal(parseStatusRss('Name:\trunc\nVmHWM:\t  11000 kB\nVmRSS:\t   10744 kB\n'), 10744);
  assert.equal(parseStatusRss('Name:\tkthreadd\n'), undefined);
});

test('the engine side is the tree below the roots, without the containers and what runs in them', () => {
  const procs = new Map(
    [
      proc(1, 0, 'init'),
      proc(10, 1, 'node'), // the engine
      proc(11, 10, 'tscompose-super'),
      proc(12, 11, 'runc'),
      proc(13, 12, 'sleep', CONTAINER), // the container's init
      proc(14, 13, 'sh', CONTAINER),
      proc(15, 11, 'runc'),
      proc(16, 15, 'sleep', CONTAINER),
      proc(20, 1, 'conmon'), // reparented to init: a root of its own
      proc(21, 20, 'sleep', CONTAINER),
      proc(30, 1, 'bash'), // someone else's
    ].map((p) => [p.pid, p]),
  );
  assert.deepEqual(
    engineSide(procs, [10, 20], HOST).map((p) => p.pid),
    [10, 11, 12, 15, 20],
  );
  // a root named twice, or gone, counts once or not at all
  assert.deepEqual(
    engineSide(procs, [10, 10, 999], HOST).map((p) => p.pid),
    [10, 11, 12, 15],
  );
  // skip leaves out a process and its subtree (another user's shim on a shared dockerd)
  assert.deepEqual(
    engineSide(procs, [10], HOST, (p) => p.pid === 15).map((p) => p.pid),
    [10, 11, 12],
  );
});

test('footprint sums memory over the processes still there, counting them by name', () => {
  const memory = new Map([
    [10, { rssKb: 70000, pssKb: 40000 }],
    [12, { rssKb: 10000, pssKb: 9000 }],
    [15, { rssKb: 11000, pssKb: 9500 }],
  ]);
  const f = footprint([proc(10, 1, 'node'), proc(12, 10, 'runc'), proc(15, 10, 'runc'), proc(17, 10, 'runc')], (pid) => memory.get(pid));
  assert.deepEqual(f, { rssKb: 91000, pssKb: 58500, processes: 3, byName: { node: 1, runc: 2 } });
});

test('a live snapshot finds this process, its parent and its memory', () => {
  const procs = snapshot();
  const self = procs.get(process.pid);
  assert.ok(self);
  assert.equal(self.ppid, process.ppid);
  assert.equal(self.pidNs, ownPidNs());
  const f = footprint(engineSide(procs, [process.pid], ownPidNs()));
  assert.ok(f.processes >= 1);
  assert.ok(f.rssKb > 1000 && f.pssKb > 0 && f.pssKb <= f.rssKb);
});
