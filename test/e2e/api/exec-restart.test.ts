// Execs outlive the bundled engine, as containers do: the engine process is killed (SIGKILL, nothing to
// tidy up) while two execs run, one with a terminal; they run on, and the next engine on the same state
// root still knows them and reports each one's own exit code once it ends.
// Bundled engine only: Docker Engine keeps execs only in dockerd's memory (and without live-restore its
// containers stop with it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { CLI } from '../lifecycle/engines.js';
import { buildBusyboxImage } from '../../helpers/busybox-image.js';

const IMAGE = 'tsc-test/exec-restart:latest';
const root = mkdtempSync(path.join(os.tmpdir(), 'tsc-exec-restart-'));
const socket = path.join(root, 'engine.sock');
const docker = new Docker({ socketPath: socket });
let engine: ChildProcess | undefined;

async function startEngine(): Promise<void> {
  const log = openSync(path.join(root, 'test-engine.log'), 'a');
  engine = spawn(process.execPath, [CLI, 'engine', '--root', path.join(root, 'state'), '--socket', socket], {
    stdio: ['ignore', log, log],
  });
  for (let i = 0; i < 100; i++) {
    try {
      await docker.ping();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error('the bundled engine did not start');
}

async function killEngine(): Promise<void> {
  const child = engine!;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

before(async () => {
  await startEngine();
  buildBusyboxImage(`unix://${socket}`, IMAGE);
});

after(async () => {
  for (const c of await docker.listContainers({ all: true }).catch(() => [])) await docker.getContainer(c.Id).remove({ force: true });
  if (engine && engine.exitCode === null) {
    const gone = new Promise((r) => engine!.once('exit', r));
    engine.kill('SIGTERM');
    await gone;
  }
  rmSync(root, { recursive: true, force: true });
});

test('an exec survives an engine killed with SIGKILL: it runs on, and the next engine reports its exit code', async () => {
  const c = await docker.createContainer({ Image: IMAGE, Cmd: ['sleep', '300'] });
  await c.start();
  // each waits for its own file, then exits with its own code
  const waiting = (file: string, code: number) => ['sh', '-c', `until [ -e ${file} ]; do sleep 0.1; done; exit ${code}`];
  const plain = await c.exec({ Cmd: waiting('/go-plain', 9), AttachStdout: true, AttachStderr: true });
  const withTty = await c.exec({ Cmd: waiting('/go-tty', 7), AttachStdout: true, Tty: true });
  for (const ex of [plain, withTty]) await ex.start({ Detach: true });
  for (const ex of [plain, withTty]) assert.equal((await ex.inspect()).Running, true);

  await killEngine();
  await startEngine();

  for (const ex of [plain, withTty]) {
    const info = await ex.inspect();
    assert.equal(info.Running, true, 'the exec runs on while the engine restarts');
    assert.equal(info.ExitCode, null);
  }
  const touch = await c.exec({ Cmd: ['touch', '/go-plain', '/go-tty'] });
  await touch.start({ Detach: true });
  for (const [ex, code] of [
    [plain, 9],
    [withTty, 7],
  ] as const) {
    let info = await ex.inspect();
    for (let i = 0; i < 100 && info.Running; i++) {
      await new Promise((r) => setTimeout(r, 200));
      info = await ex.inspect();
    }
    assert.equal(info.Running, false, 'the exec ended');
    assert.equal(info.ExitCode, code, "the exec's own exit code, heard by an engine that did not start it");
  }
  await c.remove({ force: true });
});
