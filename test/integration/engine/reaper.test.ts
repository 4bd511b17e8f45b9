// The reaper (src/engine/containers/reaper-script.ts): no runtime process stays per running container, and
// neither the engine nor the supervisor killed with SIGKILL loses a container, its output or its exit code.
// The engine runs here as a daemon process of its own, so that it can be killed with SIGKILL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Docker from 'dockerode';
import { startEngine } from '../../../src/engine/engine.js';
import { startTestEngine, BUSYBOX, type TestEngine } from './harness.js';
import { demux } from '../../helpers/docker-stream.js';

const repo = path.resolve(import.meta.dirname, '../../..');
let t: TestEngine;
let stateRoot: string;
let daemon: ChildProcess | undefined;
let docker: Docker;

interface Proc {
  pid: number;
  ppid: number;
  cmd: string;
}
function processes(): Proc[] {
  const out: Proc[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${d}/status`, 'utf8'))![1]);
      out.push({ pid: Number(d), ppid, cmd: readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() });
    } catch {
      /* gone */
    }
  }
  return out;
}
const reaperOf = (root: string) => processes().find((p) => p.cmd.includes('reaper.pl') && p.cmd.includes(` ${root} `));
const supervisorOf = (reaperPid: number) => processes().find((p) => p.ppid === reaperPid && p.cmd.startsWith('tscompose-supervisor'));
function descendants(pid: number): Proc[] {
  const all = processes();
  const found: Proc[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const p of all)
      if (p.ppid === parent) {
        found.push(p);
        queue.push(p.pid);
      }
  }
  return found;
}

const ping = (socketPath: string) =>
  new Promise<boolean>((resolve) => {
    const req = http.get({ socketPath, path: '/_ping' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
  });
async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, tries = 300): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await probe();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function startDaemon(): Promise<void> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repo, 'src/cli/main.ts'), 'engine', '--root', stateRoot, '--socket', t.socket],
    { stdio: 'ignore' },
  );
  daemon = child;
  await until('the engine daemon', async () => (child.exitCode === null && (await ping(t.socket))) || undefined);
}
function killDaemon(): Promise<void> {
  const child = daemon!;
  daemon = undefined;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  return gone;
}

before(async () => {
  t = await startTestEngine();
  stateRoot = path.join(t.root, 'state');
  // the in-process engine built the image; a daemon process serves the same state root from here on
  await t.engine.close();
  await startDaemon();
  docker = new Docker({ socketPath: t.socket });
});
after(async () => {
  if (daemon) await killDaemon();
  t.engine = await startEngine({ root: stateRoot, socketPath: t.socket });
  await t.cleanup();
});

const logsOf = async (c: Docker.Container, stream: 'stdout' | 'stderr') =>
  demux((await c.logs({ stdout: stream === 'stdout', stderr: stream === 'stderr' })) as unknown as Buffer)[stream];

test('no runtime process stays per running container, with a terminal or not: the containers are children of the reaper', async (ctx) => {
  // the last one has a terminal: its pty master is the reaper's, no runtime holds it
  const containers = await Promise.all(
    [false, false, true].map((tty) =>
      docker.createContainer({ Image: BUSYBOX, Cmd: ['sleep', '300'], Tty: tty, OpenStdin: tty, HostConfig: { NetworkMode: 'none' } }),
    ),
  );
  for (const c of containers) await c.start();
  const reaper = reaperOf(stateRoot);
  if (!reaper) {
    ctx.skip('no reaper on this host (perl or prctl unavailable): the engine runs the runtime in the foreground');
    return;
  }
  const runtimes = descendants(reaper.pid).filter((p) => /^(\S*\/)?(runc|crun|script) /.test(p.cmd));
  assert.deepEqual(runtimes, [], 'no runtime process under the reaper');
  for (const c of containers) {
    const { State } = await c.inspect();
    assert.equal(processes().find((p) => p.pid === State.Pid)?.ppid, reaper.pid, "the container's process is the reaper's child");
  }
  for (const c of containers) await c.remove({ force: true });
});

test('SIGKILL of the supervisor, then of the engine and the supervisor, loses no container, no output and no exit code', async (ctx) => {
  const ticker = await docker.createContainer({
    Image: BUSYBOX,
    HostConfig: { NetworkMode: 'none' },
    Cmd: ['sh', '-c', 'i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.1; done'],
  });
  await ticker.start();
  const reaper = reaperOf(stateRoot);
  if (!reaper) {
    ctx.skip('no reaper on this host');
    return;
  }
  const pid = (await ticker.inspect()).State.Pid;

  // the supervisor alone: the reaper starts another, which adopts the container; the engine reconnects
  const first = supervisorOf(reaper.pid)!;
  process.kill(first.pid, 'SIGKILL');
  const second = await until('a new supervisor', () => {
    const s = supervisorOf(reaper.pid);
    return s && s.pid !== first.pid ? s : undefined;
  });
  await new Promise((r) => setTimeout(r, 1500));
  let info = await ticker.inspect();
  assert.equal(info.State.Running, true, 'the container still runs after the supervisor was killed');
  assert.equal(info.State.Pid, pid);

  // a container that ends while neither the engine nor a supervisor runs
  const ender = await docker.createContainer({
    Image: BUSYBOX,
    HostConfig: { NetworkMode: 'none' },
    Cmd: ['sh', '-c', 'sleep 2; echo said-while-alone; echo complained-while-alone >&2; exit 7'],
  });
  await ender.start();
  await killDaemon();
  process.kill(second.pid, 'SIGKILL');
  // the reaper collects the exit and starts a supervisor again
  await until('the exit recorded by the reaper', () => {
    try {
      return JSON.parse(readFileSync(path.join(stateRoot, 'containers', ender.id, 'exit.json'), 'utf8'));
    } catch {
      return undefined;
    }
  });
  await startDaemon();

  const ended = await ender.inspect();
  assert.equal(ended.State.Running, false);
  assert.equal(ended.State.ExitCode, 7, 'the exit code of a container that ended while the engine was down');
  assert.equal(await logsOf(ender, 'stdout'), 'said-while-alone\n');
  assert.equal(await logsOf(ender, 'stderr'), 'complained-while-alone\n');
  assert.equal((await ender.wait()).StatusCode, 7);

  info = await ticker.inspect();
  assert.equal(info.State.Running, true, 'the container survived both');
  assert.equal(info.State.Pid, pid);
  const ticks = (await logsOf(ticker, 'stdout')).trim().split('\n');
  await new Promise((r) => setTimeout(r, 500));
  const later = (await logsOf(ticker, 'stdout')).trim().split('\n');
  assert.ok(later.length > ticks.length, 'the log keeps growing');
  later.forEach((line, i) => assert.equal(line, `tick${i}`, 'no line lost or doubled'));

  await ticker.kill({ signal: 'SIGKILL' });
  assert.equal((await ticker.wait()).StatusCode, 137);
  for (const c of [ticker, ender]) await c.remove({ force: true });
});

test('an auto-remove container that exits while the engine is down is removed, with its runtime state, when the engine is back', async () => {
  const c = await docker.createContainer({
    Image: BUSYBOX,
    HostConfig: { NetworkMode: 'none', AutoRemove: true },
    Cmd: ['sh', '-c', 'sleep 2; exit 3'],
  });
  await c.start();
  await killDaemon();
  const dir = path.join(stateRoot, 'containers', c.id);
  const exit = await until('the exit recorded by the reaper', () => {
    try {
      return JSON.parse(readFileSync(path.join(dir, 'exit.json'), 'utf8')) as { exitCode: number };
    } catch {
      return undefined;
    }
  });
  assert.equal(exit.exitCode, 3);
  await startDaemon();
  await until('the removal', async () => {
    try {
      await c.inspect();
      return undefined;
    } catch (err) {
      return (err as { statusCode?: number }).statusCode === 404;
    }
  });
  await until('its directory and runtime state gone', () => !existsSync(dir) && !existsSync(path.join(stateRoot, 'runc', c.id)));
});
