// Choosing the swarm engine, and the commands it refuses before connecting anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseEngine } from '../../../src/client/connect.js';
import { buildProgram } from '../../../src/cli/program.js';

test('--engine swarm and TSCOMPOSE_ENGINE=swarm choose the swarm engine; an unknown engine lists the three', () => {
  assert.equal(chooseEngine('swarm', {}), 'swarm');
  assert.equal(chooseEngine(undefined, { TSCOMPOSE_ENGINE: 'swarm', DOCKER_HOST: 'unix:///x.sock' }), 'swarm');
  assert.throws(() => chooseEngine('kube', {}), /unknown engine "kube": use "bundled", "docker" or "swarm"/);
});

test('commands that act on one machine\'s containers are refused on swarm, before any connection', async () => {
  for (const args of [['--engine', 'swarm', 'exec', 'web', 'sh'], ['stop', '--engine', 'swarm']]) {
    const program = (await buildProgram(args)).exitOverride();
    await assert.rejects(program.parseAsync(['node', 'tscompose', ...args]), /"(exec|stop)" is not available with --engine swarm \(available: version, config, up, down, ps, logs, ls\)/);
  }
});
