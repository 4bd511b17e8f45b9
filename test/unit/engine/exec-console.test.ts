// The exec console started ahead of its job (exec-console-spare.ts, exec-console-script.ts), with a stand-in
// for the runtime: a shell that, as `runc exec -d --pid-file` does, starts the process in the background with
// its own stdio, writes the process's pid to the pid file and exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { execConsoleAvailable, execConsoleCommand, execConsoleJob, execExitFile } from '../../../src/engine/containers/exec-console.js';
import { SpareConsole } from '../../../src/engine/containers/exec-console-spare.js';

const skip = !execConsoleAvailable() && 'no exec console on this architecture';
const ID = 'ab'.repeat(32);

/** Everything a console writes on stdout and stderr, and how it ends; a console still running after 20 s is
 *  killed and the test fails, instead of the test file hanging. */
function outcome(child: ChildProcess): Promise<{ stdout: string; stderr: string; code: number | null }> {
  let stdout = '';
  let stderr = '';
  (child.stdout as Readable).on('data', (d: Buffer) => (stdout += d));
  (child.stderr as Readable).on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the console did not end within 20 s (stdout ${JSON.stringify(stdout)}, stderr ${JSON.stringify(stderr)})`));
    }, 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}

test('a spare console runs the job it is given later: stdin, stdout and stderr apart, the exit status recorded', { skip }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-exec-console-'));
  const spares = new SpareConsole(() => execConsoleCommand(dir));
  try {
    spares.prepare();
    // the spare waits: the job comes well after perl started
    await new Promise((r) => setTimeout(r, 300));
    const child = spares.take();
    const ended = outcome(child);
    const pidFile = path.join(dir, `exec-${ID}.pid`);
    // the process sees an empty argument and a newline in another one as they were sent; its stdin is the
    // shell's (a shell gives a background list /dev/null unless told otherwise). It waits for the shell to be
    // gone first: a shell may reap a background child that ends while it still runs, which runc never does,
    // and the console would then wait for an exit it can no longer see
    const script =
      'p=$0; exec 3<&0; (while kill -0 $$ 2>/dev/null; do sleep 0.02; done; echo "out $# [$1] $2"; echo err >&2; read line <&3; echo "in:$line"; exit 7) & echo $! > "$p"';
    const job = execConsoleJob(dir, ID, false, '/bin/sh', () => ['-c', script, pidFile, '', 'two\nlines']);
    (child.stdio[3] as Writable).end(job);
    child.stdin!.end('hello\n');
    const { stdout, stderr, code } = await ended;
    assert.equal(stdout, 'out 2 [] two\nlines\nin:hello\n');
    assert.equal(stderr, 'err\n');
    assert.equal(code, 7);
    assert.equal(readFileSync(execExitFile(dir, ID), 'utf8'), '7\n');
  } finally {
    spares.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a spare console ends without running anything when the engine closes; a malformed job is refused', { skip }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-exec-console-'));
  try {
    const closing = new SpareConsole(() => execConsoleCommand(dir));
    closing.prepare();
    const spare = closing.take();
    const ended = outcome(spare);
    closing.close();
    for (const s of spare.stdio) s?.destroy();
    assert.equal((await ended).code, 0);
    assert.equal(existsSync(execExitFile(dir, ID)), false);
    // once closed, nothing is started ahead any more
    closing.prepare();
    assert.equal((closing as unknown as { spare?: ChildProcess }).spare, undefined);

    const spares = new SpareConsole(() => execConsoleCommand(dir));
    const child = spares.take();
    const refused = outcome(child);
    (child.stdio[3] as Writable).end('x31 x30 x2f62696e2f7368\n'); // "1" is no exec id
    const { stderr, code } = await refused;
    assert.equal(code, 2);
    assert.match(stderr, /malformed job/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
