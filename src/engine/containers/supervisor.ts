// The per-container supervisor (like conmon): a small detached process that owns the container's stdio,
// appends its output to the log file with timestamps, records the exit status in exit.json and tells
// connected engines about it. It runs `runc run` in the foreground, so runc reaps the container and
// reports its exit code; the engine can stop and start again meanwhile without losing anything.
// Only node built-ins here: it starts once per container and must start fast.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import net from 'node:net';
import { constants } from 'node:os';
import path from 'node:path';
import { underPty } from '../runtime/tty.js';

export interface SupervisorJob {
  runtime: string;
  runtimeRoot: string;
  id: string;
  bundle: string;
  dir: string; // the container directory: exit.json and runc.log live here
  logPath: string;
  openStdin: boolean;
  tty: boolean;
}

// An abstract unix socket per supervisor process: container directories are too deep for the 107-byte
// socket path limit, and an abstract name vanishes with its process, so no stale files.
export const supervisorSocket = (dir: string, pid: number) => `\0tscompose-supervisor-${path.basename(dir)}-${pid}`;
export const exitFile = (dir: string) => path.join(dir, 'exit.json');

export interface ExitRecord { exitCode: number; finishedAt: string; error?: string }

function runJob(job: SupervisorJob): void {
  const log = openSync(job.logPath, 'a');
  const clients = new Set<net.Socket>();
  const sockPath = supervisorSocket(job.dir, process.pid);
  try { unlinkSync(exitFile(job.dir)); } catch { /* first start */ }
  const runcLog = path.join(job.dir, 'runc.log');
  try { unlinkSync(runcLog); } catch { /* first start */ }

  const runArgs = ['--root', job.runtimeRoot, '--log', runcLog, '--log-format', 'json', 'run', '--bundle', job.bundle, job.id];
  const cmd = job.tty ? underPty(job.runtime, runArgs) : { command: job.runtime, args: runArgs };
  const child = spawn(cmd.command, cmd.args, { stdio: [job.openStdin || job.tty ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  const logWriter = (stream: 'stdout' | 'stderr') => {
    let partial = '';
    const put = (lines: string[]) => {
      const time = new Date().toISOString();
      let out = '';
      for (const line of lines) out += JSON.stringify({ log: line, stream, time }) + '\n';
      if (out) writeSync(log, out);
    };
    return {
      write(chunk: Buffer) {
        const lines = (partial + chunk.toString('utf8')).split(/(?<=\n)/);
        partial = lines[lines.length - 1]!.endsWith('\n') ? '' : lines.pop()!;
        put(lines);
      },
      flush() { if (partial) put([partial]); partial = ''; },
    };
  };
  for (const stream of ['stdout', 'stderr'] as const) {
    const w = logWriter(stream);
    child[stream]!.on('data', (c: Buffer) => w.write(c));
    child[stream]!.on('end', () => w.flush());
  }

  const server = net.createServer((sock) => {
    clients.add(sock);
    sock.on('close', () => clients.delete(sock));
    sock.on('error', () => {});
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)) as { type: string; data?: string };
        buf = buf.slice(nl + 1);
        if (msg.type === 'stdin' && msg.data) child.stdin?.write(Buffer.from(msg.data, 'base64'));
        if (msg.type === 'stdin-end') child.stdin?.end();
      }
    });
  });
  server.on('error', (err) => { process.stderr.write(`supervisor ${process.pid} for ${job.id}: ${err.message}\n`); });
  server.listen(sockPath, () => {
    process.stdout.write('listening\n');
    process.stdout.destroy();
  });
  child.stdin?.on('error', () => {});

  child.on('close', (code, signal) => {
    const exitCode = code !== null ? mapRuntimeFailure(code, runcLog) : 128 + (constants.signals[signal!] ?? 0);
    const record: ExitRecord = { exitCode, finishedAt: new Date().toISOString() };
    closeSync(log);
    writeFileSync(exitFile(job.dir) + '.tmp', JSON.stringify(record));
    renameSync(exitFile(job.dir) + '.tmp', exitFile(job.dir));
    const msg = JSON.stringify({ type: 'exit', ...record }) + '\n';
    server.close();
    for (const c of clients) c.end(msg);
    setTimeout(() => process.exit(0), 200).unref();
  });
}

// runc exits 1 with its own message when the container process cannot be started; Docker reports 127/126.
function mapRuntimeFailure(code: number, runcLog: string): number {
  if (code !== 1 && code !== 255) return code;
  let text = '';
  try { text = readFileSync(runcLog, 'utf8'); } catch { return code; }
  if (/executable file not found|no such file or directory/.test(text) && /level":"error/.test(text)) return 127;
  if (/permission denied/.test(text) && /level":"error/.test(text)) return 126;
  return code;
}

// Entry point: one job as a JSON line on stdin (spawned ahead of time as a spare, so the job can arrive later).
if (process.argv[2] === '--supervise') {
  process.title = 'tscompose-supervisor';
  let input = '';
  const onData = (d: Buffer) => {
    input += d.toString('utf8');
    const nl = input.indexOf('\n');
    if (nl < 0) return;
    process.stdin.off('data', onData);
    process.stdin.pause();
    process.stdin.destroy();
    runJob(JSON.parse(input.slice(0, nl)) as SupervisorJob);
  };
  process.stdin.on('data', onData);
  process.stdin.on('end', () => { if (!input.includes('\n')) process.exit(0); });
}
