// The container supervisor (like conmon/containerd-shim, one per engine state root): a small detached
// process that owns every container's stdio, appends output to each container's log file with
// timestamps, records exit statuses in exit.json and tells connected engines. It runs `runc run` in the
// foreground per container, so runc reaps the container and reports its exit code. The engine can stop
// and start again meanwhile: containers keep running and nothing they print is lost.
// A container counts as started when runc writes its pid file: runc does that once the container's
// process has exec'd, so a command that cannot be run never counts as started.
// Only node built-ins here, and one process for all containers, so starting a container spawns no node.
// It runs as root, so its channel is guarded (supervisor-channel.ts), and a request names only a container
// id: the runtime binary is fixed when the supervisor starts and every path derives from its state root.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, watch, writeFileSync, writeSync, type FSWatcher } from 'node:fs';
import net from 'node:net';
import { constants } from 'node:os';
import path from 'node:path';
import { underPty } from '../runtime/tty.js';
import { shellQuote } from '../../shell-quote.js';
import { onJsonLines } from './json-lines.js';
import { traceMark } from './trace.js';
import { containerLayout } from './layout.js';
import { ensurePrivateDir, supervisorSocketPath, untrustedPeer } from './supervisor-channel.js';

/** What the engine asks the supervisor to run: a container of its state root, by id. */
export interface SupervisorJob {
  id: string;
  openStdin: boolean;
  tty: boolean;
}

export interface ExitRecord { exitCode: number; finishedAt: string }

/** Engine → supervisor and supervisor → engine messages, one JSON object per line. */
export type SupervisorMessage =
  | { op: 'run'; job: SupervisorJob }
  | { op: 'started'; id: string; runtimePid: number; pid: number } // pid: the container's process
  | { op: 'failed'; id: string; error: string }
  | { op: 'exit'; id: string; record: ExitRecord }
  | { op: 'list' }
  | { op: 'running'; ids: string[] }
  | { op: 'stdin'; id: string; data: string }
  | { op: 'stdin-end'; id: string }
  | { op: 'shutdown' } // exit now if no container runs
  | { op: 'hello'; runtime?: string }; // engine → supervisor: which runtime do you run? and the answer

/** Container ids are 64 hex digits: nothing else may name a directory under the state root. */
const CONTAINER_ID = /^[0-9a-f]{64}$/;

/** The files of one job: all under the state root the supervisor serves. */
export const jobPaths = (root: string, id: string) => {
  const layout = containerLayout(path.join(root, 'containers', id));
  return { dir: layout.dir, bundle: layout.bundle, logPath: layout.log, runtimeRoot: path.join(root, 'runc') };
};
export const exitFile = (dir: string) => path.join(dir, 'exit.json');
export const pidFile = (dir: string) => path.join(dir, 'pid');

/** The pid runc wrote, once it has. */
function readPid(dir: string): number | undefined {
  try { return Number(readFileSync(pidFile(dir), 'utf8').trim()) || undefined; } catch { return undefined; }
}

const IDLE_EXIT_MS = 30_000;

function logWriter(fd: number, stream: 'stdout' | 'stderr') {
  let partial = '';
  const put = (lines: string[]) => {
    const time = new Date().toISOString();
    let out = '';
    for (const line of lines) out += JSON.stringify({ log: line, stream, time }) + '\n';
    if (out) writeSync(fd, out);
  };
  return {
    write(chunk: Buffer) {
      const lines = (partial + chunk.toString('utf8')).split(/(?<=\n)/);
      partial = lines[lines.length - 1]!.endsWith('\n') ? '' : lines.pop()!;
      put(lines);
    },
    flush() { if (partial) put([partial]); partial = ''; },
  };
}

// runc exits 1 with its own message when the container process cannot be started; Docker reports 127/126.
function mapRuntimeFailure(code: number, runcLog: string): number {
  if (code !== 1 && code !== 255) return code;
  let text = '';
  try { text = readFileSync(runcLog, 'utf8'); } catch { return code; }
  if (!/"level":"error"/.test(text)) return code;
  if (/executable file not found|no such file or directory/.test(text)) return 127;
  if (/permission denied/.test(text)) return 126;
  return code;
}

/** A shell started ahead of time, its stdio already piped to this process, waiting on stdin for the
 *  command it then becomes (exec): starting a container forks nothing here, where a fork of this node
 *  process would hold up its event loop for about 2 ms. */
function warmLauncher(): ChildProcess {
  const child = spawn('/bin/sh', ['-c', 'IFS= read -r cmd && eval "exec $cmd"'], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin!.on('error', () => {});
  return child;
}

function runHost(root: string, runtime: string): void {
  const address = supervisorSocketPath(root);
  let launcher: ChildProcess | undefined;
  const refillLauncher = () => {
    if (launcher) return;
    const next = warmLauncher();
    next.once('exit', () => { if (launcher === next) launcher = undefined; }); // killed while waiting: make another
    launcher = next;
  };
  const clients = new Set<net.Socket>();
  const running = new Map<string, ChildProcess>();
  let idleTimer: NodeJS.Timeout | undefined;
  const broadcast = (msg: SupervisorMessage) => { const line = JSON.stringify(msg) + '\n'; for (const c of clients) c.write(line); };
  const checkIdle = () => {
    clearTimeout(idleTimer);
    if (running.size === 0 && clients.size === 0) idleTimer = setTimeout(() => process.exit(0), IDLE_EXIT_MS);
  };

  const run = (request: SupervisorJob, reply: (m: SupervisorMessage) => void) => {
    if (typeof request.id !== 'string' || !CONTAINER_ID.test(request.id)) { reply({ op: 'failed', id: String(request.id), error: 'not a container id' }); return; }
    const job = { ...request, ...jobPaths(root, request.id) };
    traceMark('supervisor', job.id, 'job');
    if (running.has(job.id)) { reply({ op: 'failed', id: job.id, error: 'the container is already running' }); return; }
    const runcLog = path.join(job.dir, 'runc.log');
    for (const f of [exitFile(job.dir), runcLog, pidFile(job.dir)]) { try { unlinkSync(f); } catch { /* first start */ } }
    let log: number;
    try { log = openSync(job.logPath, 'a'); } catch (err) { reply({ op: 'failed', id: job.id, error: (err as Error).message }); return; }
    // runc writes the pid file as a temporary file renamed into place: one inotify event, no polling
    let started = false;
    let watcher: FSWatcher | undefined;
    const reportStarted = () => {
      if (started) return;
      const pid = readPid(job.dir);
      if (!pid) return;
      started = true;
      traceMark('supervisor', job.id, 'started');
      watcher?.close();
      reply({ op: 'started', id: job.id, runtimePid: child.pid ?? 0, pid });
    };
    try { watcher = watch(job.dir, (_event, name) => { if (name === 'pid') reportStarted(); }); } catch { /* inotify limits: the exit still reports */ }
    const runArgs = ['--root', job.runtimeRoot, '--log', runcLog, '--log-format', 'json', 'run', '--pid-file', pidFile(job.dir), '--bundle', job.bundle, job.id];
    const cmd = job.tty ? underPty(runtime, runArgs) : { command: runtime, args: runArgs };
    const child = launcher ?? warmLauncher();
    launcher = undefined;
    child.stdin!.write(`${[cmd.command, ...cmd.args].map(shellQuote).join(' ')}\n`);
    if (!job.openStdin && !job.tty) child.stdin!.end();
    setImmediate(refillLauncher);
    running.set(job.id, child);
    clearTimeout(idleTimer);
    for (const stream of ['stdout', 'stderr'] as const) {
      const w = logWriter(log, stream);
      child[stream]!.on('data', (c: Buffer) => w.write(c));
      child[stream]!.on('end', () => w.flush());
    }
    traceMark('supervisor', job.id, 'launched');
    let spawnError: Error | undefined;
    child.on('error', (err) => { spawnError = err; });
    child.on('exit', () => traceMark('supervisor', job.id, 'exit'));
    child.on('close', (code, signal) => {
      reportStarted();
      watcher?.close();
      const exitCode = spawnError ? 255 : code !== null ? mapRuntimeFailure(code, runcLog) : 128 + (constants.signals[signal!] ?? 0);
      const record: ExitRecord = { exitCode, finishedAt: new Date().toISOString() };
      closeSync(log);
      writeFileSync(exitFile(job.dir) + '.tmp', JSON.stringify(record));
      renameSync(exitFile(job.dir) + '.tmp', exitFile(job.dir));
      running.delete(job.id);
      broadcast({ op: 'exit', id: job.id, record });
      checkIdle();
    });
  };

  const serve = (sock: net.Socket) => {
    const reply = (m: SupervisorMessage) => { sock.write(JSON.stringify(m) + '\n'); };
    onJsonLines<SupervisorMessage>(sock, (msg) => {
      if (typeof msg !== 'object' || msg === null) { sock.destroy(); return; }
      if (msg.op === 'run') { if (typeof msg.job === 'object' && msg.job !== null) run(msg.job, reply); else sock.destroy(); }
      else if (msg.op === 'hello') reply({ op: 'hello', runtime });
      else if (msg.op === 'list') reply({ op: 'running', ids: [...running.keys()] });
      else if (msg.op === 'stdin') running.get(msg.id)?.stdin?.write(Buffer.from(msg.data, 'base64'));
      else if (msg.op === 'stdin-end') running.get(msg.id)?.stdin?.end();
      else if (msg.op === 'shutdown' && running.size === 0) process.exit(0);
    }, () => sock.destroy());
  };
  const server = net.createServer({ pauseOnConnect: true }, (sock) => {
    clients.add(sock);
    clearTimeout(idleTimer);
    sock.on('close', () => { clients.delete(sock); checkIdle(); });
    sock.on('error', () => {});
    // nothing is read from a connection before its peer is known to be root in this mount namespace
    void untrustedPeer(sock).then((why) => {
      if (why) {
        process.stderr.write(`tscompose supervisor: refused a connection: ${why}\n`);
        sock.destroy();
        return;
      }
      serve(sock);
      sock.resume();
    });
  });
  let ownSocket: { dev: number; ino: number } | undefined;
  process.on('exit', () => {
    // remove the socket file only if it is still this supervisor's
    try { const st = statSync(address); if (ownSocket && st.ino === ownSocket.ino && st.dev === ownSocket.dev) unlinkSync(address); } catch { /* gone */ }
  });
  const listen = (retry: boolean) => server.listen(address, () => {
    const st = statSync(address);
    ownSocket = { dev: st.dev, ino: st.ino };
    checkIdle();
  }).once('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EADDRINUSE' || !retry) {
      process.stderr.write(`tscompose supervisor: ${err.message}\n`);
      process.exit(1);
    }
    // a live supervisor already serves this state root (it keeps the job), or a dead one left its socket
    const probe = net.connect(address);
    probe.once('connect', () => { probe.destroy(); process.exit(0); });
    probe.once('error', () => { try { unlinkSync(address); } catch { /* raced */ } listen(false); });
  });
  ensurePrivateDir(path.dirname(address));
  listen(true);
}

// `supervisor.js --host <state root> --runtime <runtime binary>`
if (process.argv[2] === '--host' && process.argv[3] && process.argv[4] === '--runtime' && process.argv[5]) {
  process.title = 'tscompose-supervisor';
  process.umask(0o022);
  process.on('SIGHUP', () => {});
  runHost(process.argv[3], process.argv[5]);
}
