// Flag parsing of the lifecycle commands: a command's own short flags win over global ones
// (down -v, run -p), and global flags work before or after the command name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { buildProgram, globalOptions } from '../../../src/cli/program.js';
import { plainProgress } from '../../../src/cli/output/plain-progress.js';

async function parse(argv: string[]) {
  const program = (await buildProgram([])).exitOverride();
  let seen: { args: unknown[]; opts: Record<string, unknown>; global: ReturnType<typeof globalOptions> } | undefined;
  for (const c of program.commands) {
    c.action((...a: unknown[]) => {
      const cmd = a[a.length - 1] as Command;
      seen = { args: a.slice(0, -2), opts: cmd.opts(), global: globalOptions(cmd) };
    });
  }
  await program.parseAsync(['node', 'tscompose', ...argv]);
  return seen!;
}

test('down -v means --volumes, not --version', async () => {
  const r = await parse(['down', '-v', '-t', '3']);
  assert.equal(r.opts.volumes, true);
  assert.equal(r.opts.timeout, '3');
});

test('global flags before or after the command name', async () => {
  const before = await parse(['-p', 'one', '-f', 'a.yaml', '--engine', 'docker', 'ps']);
  assert.deepEqual([before.global.projectName, before.global.file, before.global.engine], ['one', ['a.yaml'], 'docker']);
  const after = await parse(['-f', 'a.yaml', 'ps', '-p', 'two', '-f', 'b.yaml', '--dry-run']);
  assert.deepEqual([after.global.projectName, after.global.file, after.global.dryRun], ['two', ['a.yaml', 'b.yaml'], true]);
  assert.equal(after.global.progress, 'auto');
});

test('run -p publishes; the command after the service is passed through untouched', async () => {
  const r = await parse(['-p', 'proj', 'run', '--rm', '-p', '8080:80', '-v', '/x:/y', 'web', 'sh', '-c', 'exit 3']);
  assert.deepEqual(r.opts.publish, ['8080:80']);
  assert.deepEqual(r.opts.volume, ['/x:/y']);
  assert.equal(r.global.projectName, 'proj');
  assert.deepEqual(r.args, ['web', ['sh', '-c', 'exit 3']]);
  const e = await parse(['exec', '-T', '--index', '2', 'web', 'ls', '-la']);
  assert.equal(e.opts.TTY, false);
  assert.deepEqual(e.args, ['web', ['ls', '-la']]);
});

test('up flags', async () => {
  const r = await parse(['up', '-d', '--scale', 'web=3', '--scale', 'db=2', '--no-deps', '--no-recreate', 'web']);
  assert.deepEqual(r.opts.scale, ['web=3', 'db=2']);
  assert.equal(r.opts.deps, false);
  assert.equal(r.opts.recreate, false);
  assert.deepEqual(r.args, [['web']]);
});

test('the plain renderer prints one line per state change', () => {
  const lines: string[] = [];
  const p = plainProgress((l) => lines.push(l));
  p.update('Container', 'demo-web-1', 'Creating');
  p.update('Container', 'demo-web-1', 'Started 0.4s', true);
  p.fail('Network', 'demo_default', 'boom');
  assert.deepEqual(lines, [' Container demo-web-1  Creating', ' Container demo-web-1  Started 0.4s', ' Network demo_default  Error boom']);
});

test('only the invoked command is registered; help and unknown words get every command', async () => {
  const { invokedCommand } = await import('../../../src/cli/invoked-command.js');
  assert.equal(invokedCommand(['-f', 'a.yaml', '-p', 'x', 'up', '-d']), 'up');
  assert.equal(invokedCommand(['--project-directory', 'dir', '--dry-run', 'down', '-v']), 'down');
  assert.equal(invokedCommand(['--help']), undefined);
  assert.deepEqual(
    (await buildProgram(['-p', 'x', 'ps'])).commands.map((c) => c.name()),
    ['ps'],
  );
  assert.ok((await buildProgram(['--help'])).commands.length > 20);
  assert.ok((await buildProgram(['no-such-command'])).commands.length > 20);
});
