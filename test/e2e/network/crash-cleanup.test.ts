// The bundled engine cleans up the DNAT rules of published ports after a crash: an engine killed with SIGKILL
// leaves a container's rules behind (the container died with it here); the next engine on the same state drops
// them when it restores, and leaves no chain of the network once it stops. Bundled engine only (Docker's
// own clean-up after a crash is not what is tested).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { CLI, type EngineTarget } from '../lifecycle/engines.js';
import { eventually, hostRules, mustDocker } from './cli.js';

function startEngine(root: string): { child: ChildProcess; target: EngineTarget; exited: Promise<void> } {
  const socket = path.join(root, 'engine.sock');
  const log = openSync(path.join(root, 'test-engine.log'), 'a');
  const child = spawn(process.execPath, [CLI, 'engine', '--root', path.join(root, 'state'), '--socket', socket], {
    stdio: ['ignore', log, log],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const target = {
    name: 'bundled',
    flags: [],
    env: { TSCOMPOSE_ENGINE_SOCKET: socket },
    stop: async () => undefined,
  } as unknown as EngineTarget;
  return { child, target, exited };
}

test('a restarted bundled engine drops the DNAT rules a crashed one left behind', { timeout: 240_000 }, async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tsc-n6-crash-'));
  const ctx = busyboxContext(['RUN mkdir -p /www && echo hi > /www/index.html']);
  let engine = startEngine(root);
  try {
    await eventually(() => mustDocker(engine.target, ['version', '--format', '{{.Server.Version}}']), 120);
    await mustDocker(engine.target, ['build', '-q', '-t', 'tsc-test/n6-crash:latest', ctx]);
    const id = await mustDocker(engine.target, [
      'run',
      '-d',
      '-p',
      '80',
      'tsc-test/n6-crash:latest',
      'httpd',
      '-f',
      '-p',
      '80',
      '-h',
      '/www',
    ]);
    const [ip, networkId, pid] = (
      await mustDocker(engine.target, [
        'inspect',
        '-f',
        '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{.NetworkID}}{{end}} {{.State.Pid}}',
        id,
      ])
    ).split(' ');
    const dnat = new RegExp(`--to-destination ${ip!.replace(/\./g, '\\.')}:80\\b`);
    assert.match(await hostRules(), dnat);

    // the engine crashes, and its container dies while no engine runs
    engine.child.kill('SIGKILL');
    await engine.exited;
    process.kill(Number(pid), 'SIGKILL');
    assert.match(await hostRules(), dnat, 'a crashed engine cleans nothing up');

    engine = startEngine(root);
    await eventually(() => mustDocker(engine.target, ['version', '--format', '{{.Server.Version}}']), 120);
    await eventually(async () => {
      assert.doesNotMatch(await hostRules(), dnat, 'the restored engine dropped the dead container’s rule');
    });
    await mustDocker(engine.target, ['rm', '-f', id]);
    engine.child.kill('SIGTERM');
    await engine.exited;
    const left = (await hostRules()).split('\n').filter((l) => l.includes(networkId!.slice(0, 12)));
    assert.deepEqual(left, [], 'no chain or rule of the network is left once the engine stops');
  } finally {
    if (engine.child.exitCode === null) {
      engine.child.kill('SIGKILL');
      await engine.exited;
    }
    rmSync(ctx, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  }
});
