// The container supervisor (like conmon/containerd-shim, one per engine state root): a small detached
// process that owns every container's stdio, appends output to each container's log file with
// timestamps, records exit statuses in exit.json and tells connected engines. The engine can stop and
// start again meanwhile: containers keep running and nothing they print is lost.
// How a container is run (launch.ts): where perl can make a child subreaper, the supervisor is the child of
// the reaper (reaper-script.ts), which forks `runc run -d` per container and collects the exits, so no
// runtime process stays per container and a supervisor killed with SIGKILL is started again by the reaper
// and adopts its containers (launch-reaper.ts); elsewhere it runs `runc run` in the foreground per container
// (launch-foreground.ts), the runtime reaping the container.
// A container counts as started when runc writes its pid file: runc does that once the container's
// process has exec'd, so a command that cannot be run never counts as started.
// Only node built-ins here, and one process for all containers, so starting a container spawns no node.
// It runs as root, so its channel is guarded (supervisor-channel.ts), and a request names only a container
// id: the runtime binary is fixed when the supervisor starts and every path derives from its state root.
import { readFileSync, renameSync, statSync, unlinkSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { onJsonLines } from './json-lines.js';
import { windowDimension } from './window-size.js';
import { logPolicy, NONE_ATTACH_WINDOW, type LogPolicy } from './log-config.js';
import { RotatingLogFile } from './log-file.js';
import { traceMark } from './trace.js';
import { exitFile, jobPaths, pidFile, runtimeLog, type Job, type Launched, type Launcher, type SupervisorJob } from './launch.js';
import { ForegroundLauncher } from './launch-foreground.js';
import { ReaperLauncher } from './launch-reaper.js';
import { ensurePrivateDir, supervisorSocketPath, untrustedPeer } from './supervisor-channel.js';

export { exitFile, jobPaths, pidFile, type SupervisorJob } from './launch.js';

export interface ExitRecord {
  exitCode: number;
  finishedAt: string;
}

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
  | { op: 'resize'; id: string; height: number; width: number } // a terminal container's window
  | { op: 'shutdown' } // exit now if no container runs
  // engine → supervisor: which runtime do you run? and the answer, with how containers are launched
  | { op: 'hello'; runtime?: string; mode?: Launcher['mode'] };

/** Container ids are 64 hex digits: nothing else may name a directory under the state root. */
const CONTAINER_ID = /^[0-9a-f]{64}$/;

/** The pid runc wrote, once it has. */
function readPid(dir: string): number | undefined {
  try {
    return Number(readFileSync(pidFile(dir), 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** The exit.json already written for the container (by the reaper), when it says `exitCode`. */
function recordedExit(dir: string, exitCode: number): ExitRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(exitFile(dir), 'utf8')) as ExitRecord;
    return r.exitCode === exitCode && typeof r.finishedAt === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

const IDLE_EXIT_MS = 30_000;

/** How a container's output is kept, from its LogConfig as the engine stored it (the engine checked it at
 *  start; a record that cannot be read keeps everything, as json-file without options does). */
function containerLogPolicy(dir: string): LogPolicy {
  let policy: LogPolicy;
  try {
    const rec = JSON.parse(readFileSync(path.join(dir, 'container.json'), 'utf8')) as {
      hostConfig?: { LogConfig?: { Type?: string; Config?: Record<string, string> } };
    };
    const lc = rec.hostConfig?.LogConfig;
    policy = logPolicy(lc?.Type, lc?.Config ?? {});
  } catch {
    policy = { driver: 'json-file', maxFile: 1, compress: false };
  }
  return policy.driver === 'none' ? NONE_ATTACH_WINDOW : policy;
}

function openLog(job: Job): RotatingLogFile {
  return new RotatingLogFile(job.logPath, containerLogPolicy(job.dir));
}

function logWriter(log: RotatingLogFile, stream: 'stdout' | 'stderr') {
  let partial = '';
  const put = (lines: string[]) => {
    const time = new Date().toISOString();
    log.writeEntries(lines.map((line) => JSON.stringify({ log: line, stream, time }) + '\n'));
  };
  return {
    write(chunk: Buffer) {
      const lines = (partial + chunk.toString('utf8')).split(/(?<=\n)/);
      partial = lines[lines.length - 1]!.endsWith('\n') ? '' : lines.pop()!;
      put(lines);
    },
    flush() {
      if (partial) put([partial]);
      partial = '';
    },
  };
}

// runc exits 1 with its own message when the container process cannot be started; Docker reports 127/126.
function mapRuntimeFailure(code: number, runcLog: string): number {
  if (code !== 1 && code !== 255) return code;
  let text = '';
  try {
    text = readFileSync(runcLog, 'utf8');
  } catch {
    return code;
  }
  if (!/"level":"error"/.test(text)) return code;
  if (/executable file not found|no such file or directory/.test(text)) return 127;
  if (/permission denied/.test(text)) return 126;
  return code;
}

const closed = (s: Readable) =>
  new Promise<void>((resolve) => {
    if (s.destroyed) resolve();
    else s.once('close', () => resolve());
  });

function runHost(root: string, runtime: string, launcher: Launcher, adopt: () => Promise<{ id: string; launched: Launched }[]>): void {
  const address = supervisorSocketPath(root);
  const clients = new Set<net.Socket>();
  /** containers being launched or running, until their exit is recorded; undefined while launching */
  const running = new Map<string, Launched | undefined>();
  let idleTimer: NodeJS.Timeout | undefined;
  const broadcast = (msg: SupervisorMessage) => {
    const line = JSON.stringify(msg) + '\n';
    for (const c of clients) c.write(line);
  };
  const checkIdle = () => {
    clearTimeout(idleTimer);
    if (running.size === 0 && clients.size === 0) idleTimer = setTimeout(() => process.exit(0), IDLE_EXIT_MS);
  };

  /** Follows a launched container to its end: its output into the log, its exit into exit.json and to the engines. */
  const follow = (job: Job, launched: Launched, log: RotatingLogFile, onStarted: (pid: number) => void) => {
    running.set(job.id, launched);
    for (const stream of ['stdout', 'stderr'] as const) {
      const w = logWriter(log, stream);
      launched[stream].on('data', (c: Buffer) => w.write(c));
      launched[stream].on('end', () => w.flush());
    }
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
      onStarted(pid);
    };
    try {
      watcher = watch(job.dir, (_event, name) => {
        if (name === 'pid') reportStarted();
      });
    } catch {
      /* inotify limits: the exit still reports */
    }
    reportStarted();
    void Promise.all([launched.ended, closed(launched.stdout), closed(launched.stderr)]).then(([ended]) => {
      traceMark('supervisor', job.id, 'exit');
      reportStarted();
      watcher?.close();
      const exitCode = ended.runtimeExit ? mapRuntimeFailure(ended.code, runtimeLog(job.dir)) : ended.code;
      log.close();
      // the reaper recorded the container's own exit before telling: its record stands (rewriting a file in
      // place costs an ext4 flush of 1–3 ms on the path of the exit's notice)
      let record = ended.runtimeExit ? undefined : recordedExit(job.dir, exitCode);
      if (!record) {
        record = { exitCode, finishedAt: new Date().toISOString() };
        writeFileSync(exitFile(job.dir) + '.tmp', JSON.stringify(record));
        renameSync(exitFile(job.dir) + '.tmp', exitFile(job.dir));
      }
      running.delete(job.id);
      broadcast({ op: 'exit', id: job.id, record });
      checkIdle();
    });
  };

  const run = (request: SupervisorJob, reply: (m: SupervisorMessage) => void) => {
    if (typeof request.id !== 'string' || !CONTAINER_ID.test(request.id)) {
      reply({ op: 'failed', id: String(request.id), error: 'not a container id' });
      return;
    }
    const job: Job = { id: request.id, openStdin: Boolean(request.openStdin), tty: Boolean(request.tty), ...jobPaths(root, request.id) };
    traceMark('supervisor', job.id, 'job');
    if (running.has(job.id)) {
      reply({ op: 'failed', id: job.id, error: 'the container is already running' });
      return;
    }
    for (const f of [exitFile(job.dir), runtimeLog(job.dir), pidFile(job.dir)]) {
      try {
        unlinkSync(f);
      } catch {
        /* first start */
      }
    }
    let log: RotatingLogFile;
    try {
      log = openLog(job);
    } catch (err) {
      reply({ op: 'failed', id: job.id, error: (err as Error).message });
      return;
    }
    running.set(job.id, undefined);
    clearTimeout(idleTimer);
    launcher.launch(job).then(
      (launched) => {
        traceMark('supervisor', job.id, 'launched');
        follow(job, launched, log, (pid) => reply({ op: 'started', id: job.id, runtimePid: launched.runtimePid, pid }));
      },
      (err: Error) => {
        log.close();
        running.delete(job.id);
        reply({ op: 'failed', id: job.id, error: err.message });
        checkIdle();
      },
    );
  };

  const serve = (sock: net.Socket) => {
    const reply = (m: SupervisorMessage) => {
      sock.write(JSON.stringify(m) + '\n');
    };
    onJsonLines<SupervisorMessage>(
      sock,
      (msg) => {
        if (typeof msg !== 'object' || msg === null) {
          sock.destroy();
          return;
        }
        if (msg.op === 'run') {
          if (typeof msg.job === 'object' && msg.job !== null) run(msg.job, reply);
          else sock.destroy();
        } else if (msg.op === 'hello') reply({ op: 'hello', runtime, mode: launcher.mode });
        else if (msg.op === 'list') reply({ op: 'running', ids: [...running.keys()] });
        else if (msg.op === 'stdin') running.get(msg.id)?.stdin?.write(Buffer.from(msg.data, 'base64'));
        else if (msg.op === 'stdin-end') running.get(msg.id)?.endStdin();
        else if (msg.op === 'resize' && windowDimension(msg.height) && windowDimension(msg.width))
          running.get(msg.id)?.resize?.(msg.height, msg.width);
        else if (msg.op === 'shutdown' && running.size === 0) process.exit(0);
      },
      () => sock.destroy(),
    );
  };
  const server = net.createServer({ pauseOnConnect: true }, (sock) => {
    clients.add(sock);
    clearTimeout(idleTimer);
    sock.on('close', () => {
      clients.delete(sock);
      checkIdle();
    });
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
    try {
      const st = statSync(address);
      if (ownSocket && st.ino === ownSocket.ino && st.dev === ownSocket.dev) unlinkSync(address);
    } catch {
      /* gone */
    }
  });
  const listen = (retry: boolean) =>
    server
      .listen(address, () => {
        const st = statSync(address);
        ownSocket = { dev: st.dev, ino: st.ino };
        checkIdle();
      })
      .once('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EADDRINUSE' || !retry) {
          process.stderr.write(`tscompose supervisor: ${err.message}\n`);
          process.exit(1);
        }
        // a live supervisor already serves this state root (it keeps the job), or a dead one left its socket
        const probe = net.connect(address);
        probe.once('connect', () => {
          probe.destroy();
          process.exit(0);
        });
        probe.once('error', () => {
          try {
            unlinkSync(address);
          } catch {
            /* raced */
          }
          listen(false);
        });
      });
  ensurePrivateDir(path.dirname(address));
  // the containers a previous supervisor left running (or that ended meanwhile) are followed again before
  // any engine can ask which run
  void adopt().then(
    (adopted) => {
      for (const { id, launched } of adopted) {
        const job: Job = { id, openStdin: Boolean(launched.stdin), tty: false, ...jobPaths(root, id) };
        let log: RotatingLogFile;
        try {
          log = openLog(job);
        } catch {
          log = new RotatingLogFile('/dev/null', { driver: 'none', maxFile: 1, compress: false });
        }
        follow(job, launched, log, () => {});
      }
      if (adopted.length) process.stderr.write(`tscompose supervisor: adopted ${adopted.length} container(s) from the reaper\n`);
      listen(true);
    },
    (err: Error) => {
      process.stderr.write(`tscompose supervisor: ${err.message}\n`);
      process.exit(1);
    },
  );
}

// `supervisor.js --host <state root> --runtime <runtime binary> [--reaper-fd <fd>]`
if (process.argv[2] === '--host' && process.argv[3] && process.argv[4] === '--runtime' && process.argv[5]) {
  process.title = 'tscompose-supervisor';
  process.umask(0o022);
  process.on('SIGHUP', () => {});
  const root = process.argv[3];
  const runtime = process.argv[5];
  if (process.argv[6] === '--reaper-fd' && process.argv[7]) {
    const reaper = new ReaperLauncher(Number(process.argv[7]), root, () => {
      // the reaper is gone: the containers' exits can no longer be collected; the engine starts a new one
      process.stderr.write('tscompose supervisor: the reaper went away\n');
      process.exit(1);
    });
    runHost(root, runtime, reaper, () => reaper.adopt());
  } else {
    runHost(root, runtime, new ForegroundLauncher(runtime), () => Promise.resolve([]));
  }
}
