// The engine's host-command runner: one long-lived sh running each command as a background job.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { CommandRunner } from '../../../src/engine/command-runner.js';

const runner = new CommandRunner();
after(() => runner.close());

test('arguments reach the command as given, quotes and shell syntax included', async () => {
  const args = ["it's", '$HOME', '`id`', 'a b', '"q"', ';', '|', '*'];
  const r = await runner.run('printf', ['%s\\n', ...args]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `${args.join('\n')}\n`);
});

test('exit code and stderr of a failing command', async () => {
  const r = await runner.run('sh', ['-c', 'echo oops >&2; exit 7']);
  assert.deepEqual(r, { code: 7, stdout: '', stderr: 'oops\n' });
});

test('stdin input arrives whole, even when it contains the heredoc delimiter', async () => {
  const input = 'line 1\nTSC_INPUT\n$NOT_EXPANDED\nlast';
  const r = await runner.run('cat', [], input);
  assert.equal(r.stdout, `${input}\n`);
  assert.equal((await runner.run('cat', [])).stdout, '', 'without input, stdin is empty');
});

test('jobs run side by side and leave no zombie processes', async () => {
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => runner.run('sh', ['-c', `sleep 0.3; echo ${i}`])));
  assert.deepEqual(
    results.map((r) => r.stdout),
    Array.from({ length: 20 }, (_, i) => `${i}\n`),
  );
  assert.ok(Date.now() - started < 20 * 300, 'twenty 0.3 s jobs did not run one after another');
  await new Promise((r) => setTimeout(r, 200));
  const zombies = execFileSync('ps', ['-e', '-o', 'ppid=,stat='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.trim().split(/\s+/)[1]?.startsWith('Z') && Number(l.trim().split(/\s+/)[0]) !== 1);
  const ours = zombies.filter((l) => Number(l.trim().split(/\s+/)[0]) === runner.shellPid);
  assert.deepEqual(ours, []);
});

test("a command that does not exist fails with the shell's message", async () => {
  const r = await runner.run('/nonexistent/tool', ['x']);
  assert.equal(r.code, 127);
  assert.match(r.stderr, /not found|No such file/);
});
