// Exec instances: create, start (attached with or without a TTY, or detached), inspect; run with `runc exec`.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  execConsoleAvailable,
  execConsoleCommand,
  execConsoleFiles,
  execConsoleJob,
  execExitFile,
  foregroundExec,
} from './exec-console.js';
import { SpareConsole } from './exec-console-spare.js';
import { phaseTimer } from './trace.js';
import { consoleSize } from './window-size.js';
import type { ExecRecords } from './exec-records.js';
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Duplex, Writable } from 'node:stream';
import { conflict, invalid, notFound } from '../errors.js';
import type { OciRuntime } from '../runtime/oci-runtime.js';
import { buildRlimits, effectiveCapabilities } from '../runtime/spec.js';
import { parseSecurityOpt } from './security.js';
import { resolveGroups, resolveUser, userTablesAt } from '../runtime/users.js';
import { exitCodeOf } from '../runtime/exit-code.js';
import { mergeEnv } from './create-config.js';
import { frame } from './logs.js';
import { DEFAULT_DETACH_KEYS, DetachFilter, parseDetachKeys } from './detach-keys.js';
import type { ContainerService } from './service.js';
import type { ContainerRecord } from './record.js';

export interface ExecInstance {
  ID: string;
  ContainerID: string;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  OpenStdin: boolean;
  OpenStdout: boolean;
  OpenStderr: boolean;
  CanRemove: boolean;
  DetachKeys: string;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user: string };
  env: string[];
  workingDir: string;
  /** the terminal's size at start ([height, width], Docker's ConsoleSize) */
  consoleSize?: unknown;
}

/** How long after an exec's end its successor's console is started (see start). */
const SPARE_AFTER_EXEC_MS = 50;

export class ExecService {
  private readonly execs = new Map<string, ExecInstance>();
  /** the window of each running exec with a terminal */
  private readonly windows = new Map<string, (height: number, width: number) => void>();
  /** a size asked for before the exec's terminal was there (a client resizes as soon as its start is answered) */
  private readonly pendingWindows = new Map<string, [number, number]>();
  /** the exec console of the next exec, started ahead (none where there is no exec console) */
  private readonly spare: SpareConsole | undefined;

  constructor(
    private readonly containers: ContainerService,
    private readonly runtime: OciRuntime,
    private readonly tmpDir: string,
    private readonly records: ExecRecords,
  ) {
    this.spare = execConsoleAvailable() ? new SpareConsole(() => execConsoleCommand(tmpDir)) : undefined;
  }

  /** Ends the exec console waiting for a job, if any (running execs go on). */
  close(): void {
    this.spare?.close();
  }

  idsFor(containerId: string): string[] {
    return [...this.execs.values()].filter((e) => e.ContainerID === containerId).map((e) => e.ID);
  }

  create(ref: string, body: Record<string, any>): { Id: string } {
    const rec = this.containers.get(ref);
    if (!rec.state.running) throw conflict(`Container ${rec.id} is not running`);
    if (rec.state.paused) throw conflict(`Container ${rec.id} is paused, unpause the container before exec`);
    const cmd = (body.Cmd as string[] | undefined) ?? [];
    if (!cmd.length) throw invalid('No exec command specified');
    // docker-py sends `detachKeys`: Docker's JSON decoding ignores the case of field names
    const detachKeys = (body.DetachKeys ?? body.detachKeys ?? '') as string;
    if (detachKeys) {
      try {
        parseDetachKeys(detachKeys);
      } catch {
        throw invalid(`Invalid escape keys (${detachKeys}) provided`);
      }
    }
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, {
      ID: id,
      ContainerID: rec.id,
      Running: false,
      ExitCode: null,
      Pid: 0,
      OpenStdin: Boolean(body.AttachStdin),
      OpenStdout: Boolean(body.AttachStdout),
      OpenStderr: Boolean(body.AttachStderr),
      CanRemove: false,
      DetachKeys: detachKeys,
      ProcessConfig: {
        tty: Boolean(body.Tty),
        entrypoint: cmd[0]!,
        arguments: cmd.slice(1),
        privileged: Boolean(body.Privileged),
        user: body.User ?? '',
      },
      env: body.Env ?? [],
      workingDir: body.WorkingDir ?? '',
      consoleSize: body.ConsoleSize,
    });
    this.records.save(this.execs.get(id)!);
    // its start request follows: the console it will run under starts meanwhile (once this answer is out:
    // node's spawn holds the event loop until perl runs)
    setImmediate(() => this.spare?.prepare());
    return { Id: id };
  }

  get(id: string): ExecInstance {
    const e = this.execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  inspect(id: string): Record<string, unknown> {
    const { env: _env, workingDir: _wd, consoleSize: _size, ...view } = this.get(id);
    return view;
  }

  /** Sets a running exec's terminal size (an exec without a terminal, or not running, has none to set). */
  resize(id: string, height: number, width: number): void {
    const ex = this.get(id);
    const window = this.windows.get(id);
    if (window) window(height, width);
    else if (ex.ExitCode === null && ex.ProcessConfig.tty) this.pendingWindows.set(id, [height, width]);
  }

  /** Runs the exec; output goes to `out`, `input` feeds its stdin. Resolves on exit. As Docker: the process
   *  gets a terminal when the exec was created with Tty; the output is framed unless the start request asked
   *  for Tty (`rawOutput`). A process that cannot start (missing binary, not executable) exits 126 with the
   *  runtime's error on the output, Docker's `OCI runtime exec failed: …: unknown`. */
  async start(
    id: string,
    io: {
      out?: Writable | Duplex;
      input?: Duplex | NodeJS.ReadableStream;
      rawOutput?: boolean;
      onDetach?: () => void;
      /** the process was started (a detached start answers then, as Docker's does) */
      onStarted?: () => void;
    },
  ): Promise<number> {
    const ex = this.get(id);
    if (ex.Running || ex.ExitCode !== null) throw conflict(`Error: Exec command ${id} has already run`);
    const rec = this.containers.get(ex.ContainerID);
    if (!rec.state.running) throw conflict(`Container ${rec.id} is not running`);
    const timer = phaseTimer('exec', id);
    const tty = ex.ProcessConfig.tty;
    const raw = io.rawOutput ?? tty;
    let processSpec: Record<string, unknown>;
    try {
      processSpec = execProcessSpec(rec, {
        args: [ex.ProcessConfig.entrypoint, ...ex.ProcessConfig.arguments],
        env: ex.env,
        user: ex.ProcessConfig.user,
        workingDir: ex.workingDir,
        tty,
        consoleSize: consoleSize(ex.consoleSize),
        privileged: ex.ProcessConfig.privileged,
      });
    } catch (err) {
      ex.ExitCode = 126; // what Docker records for an exec its runtime could not start
      this.records.save(ex);
      throw err;
    }
    const file = path.join(this.tmpDir, `exec-${id}.json`);
    const logFile = path.join(this.tmpDir, `exec-${id}.log`);
    await writeFile(file, JSON.stringify(processSpec));
    timer.lap('spec');
    ex.Running = true;
    const runtimeArgs = (execFlags: string[]) =>
      this.runtime.args('--log', logFile, '--log-format', 'json', 'exec', ...execFlags, '--process', file, rec.id);
    const wantsInput = ex.OpenStdin || tty;
    let child: ChildProcess;
    let window: Writable | null = null;
    if (this.spare) {
      child = this.spare.take();
      const control = child.stdio[3] as Writable;
      control.write(execConsoleJob(this.tmpDir, id, tty, this.runtime.binary, runtimeArgs));
      if (tty) window = control;
      else control.end(); // no window to set: the console reads the end of fd 3 and goes on
      // as an ignored stdin: the process reads the end of its input at once
      if (!wantsInput) child.stdin!.end();
    } else {
      const fg = foregroundExec(tty, this.runtime.binary, runtimeArgs([]));
      child = spawn(fg.command, fg.args, { stdio: [wantsInput ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    }
    timer.lap('console');
    ex.Pid = child.pid ?? 0;
    if (this.spare) this.records.save(ex);
    io.onStarted?.();
    if (window) {
      window.on('error', () => {});
      this.windows.set(id, (height, width) => window.write(`${height} ${width}\n`));
      const pending = this.pendingWindows.get(id);
      if (pending) window.write(`${pending[0]} ${pending[1]}\n`);
    }
    this.pendingWindows.delete(id);
    let detached = false;
    const write = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (!io.out || io.out.destroyed || io.out.writableEnded || detached) return;
      io.out.write(raw ? chunk : frame(stream, chunk));
    };
    child.stdout!.on('data', ex.OpenStdout || !io.out ? write('stdout') : () => {});
    child.stderr!.on('data', ex.OpenStderr || !io.out ? write('stderr') : () => {});
    if (child.stdin && io.input && ex.OpenStdin) {
      child.stdin.on('error', () => {});
      // as Docker: with a TTY the detach sequence closes the stream and leaves the process running
      const filter = tty ? new DetachFilter(parseDetachKeys(ex.DetachKeys || DEFAULT_DETACH_KEYS)) : undefined;
      const input = io.input;
      const onData = (d: Buffer) => {
        const r = filter ? filter.push(d) : { data: d, detached: false };
        if (r.data.length) child.stdin!.write(r.data);
        if (r.detached) {
          detached = true;
          input.removeListener('data', onData);
          io.onDetach?.();
        }
      };
      input.on('data', onData);
      input.on('end', () => {
        if (!detached) child.stdin!.end();
      });
      input.resume(); // the server paused the socket while it read the request body off it
    } else io.input?.resume(); // stdin not attached: drained, as before
    if (!io.input) child.stdin?.on('error', () => {});
    const code = await new Promise<number>((resolve) => {
      child.on('error', () => resolve(126));
      child.on('close', (c, s) => resolve(exitCodeOf(c, s)));
    });
    timer.lap('run');
    child.stdin?.destroy();
    this.windows.delete(id);
    window?.destroy();
    const settled = await this.settle(ex, code, (startError) => {
      const text = Buffer.from(`OCI runtime exec failed: ${startError}: unknown\r\n`);
      if (io.out && !io.out.destroyed && !io.out.writableEnded) io.out.write(raw ? text : frame('stdout', text));
    });
    timer.lap('settle');
    timer.done();
    // the next exec's console, once this one's end is out and the client's inspect that follows it answered:
    // node's spawn holds the event loop for 10-30 ms, a request then waits
    setTimeout(() => this.spare?.prepare(), SPARE_AFTER_EXEC_MS).unref();
    return settled;
  }

  /** Records an exec's end: 126 when the runtime could not start its process (reported to onStartError). */
  private async settle(ex: ExecInstance, exitCode: number, onStartError: (why: string) => void = () => {}): Promise<number> {
    let code = exitCode;
    const logFile = path.join(this.tmpDir, `exec-${ex.ID}.log`);
    // a runtime that failed to start the process exits non-zero: a process's 0 needs no look at its log
    const startError = code === 0 ? undefined : await execStartError(logFile);
    if (startError) {
      code = 126;
      onStartError(startError);
    }
    ex.Running = false;
    ex.ExitCode = code;
    this.pendingWindows.delete(ex.ID);
    this.records.save(ex);
    const files = [path.join(this.tmpDir, `exec-${ex.ID}.json`), logFile, ...execConsoleFiles(this.tmpDir, ex.ID)];
    await Promise.all(files.map((f) => rm(f, { force: true })));
    return code;
  }

  /** The execs a previous engine left (execs/ under the state root): a running one is followed again
   *  through its exec console until it writes its exit; those of containers that are gone are dropped. */
  async restore(): Promise<void> {
    for (const ex of this.records.load()) {
      if (!this.containers.store.byId.get(ex.ContainerID)) {
        this.records.remove(ex.ID);
        continue;
      }
      this.execs.set(ex.ID, ex);
      if (ex.Running) this.follow(ex);
    }
  }

  /** Waits for the exit of an exec whose console a previous engine started. */
  private follow(ex: ExecInstance): void {
    const exitFile = execExitFile(this.tmpDir, ex.ID);
    const check = () => {
      let text: string | undefined;
      try {
        text = readFileSync(exitFile, 'utf8');
      } catch {
        if (consoleRuns(ex.Pid, ex.ID)) return;
      }
      clearInterval(timer);
      if (text !== undefined) {
        void this.settle(ex, Number(text.trim()));
        return;
      }
      // no exit file and no console: the engine that started it heard its end (it was still running, in
      // this process, as in tests), or the console was killed with the machine or by hand (the status is lost)
      const settled = this.records.read(ex.ID);
      ex.Running = false;
      ex.ExitCode = settled?.Running === false ? settled.ExitCode : ex.ExitCode;
      this.records.save(ex);
    };
    const timer = setInterval(check, 500);
    timer.unref();
    check();
  }
}

/** Whether pid is still the exec console of exec id (not a process that took the pid since). */
function consoleRuns(pid: number, id: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`tscompose-exec-console ${id}`);
  } catch {
    return false;
  }
}

/** The runtime's own failure to start the process ("exec failed: …" in its JSON log), if any. */
async function execStartError(logFile: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(logFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === 'error' && entry.msg?.startsWith('exec failed')) return entry.msg;
    } catch {
      /* not JSON */
    }
  }
  return undefined;
}

/** The OCI process for `runc exec --process` in a running container: the container's user (looked up in
 *  its filesystem as it sees it), env, capabilities and rlimits, overridable. */
export function execProcessSpec(
  rec: ContainerRecord,
  o: {
    args: string[];
    env?: string[];
    user?: string;
    workingDir?: string;
    tty?: boolean;
    consoleSize?: { height: number; width: number };
    privileged?: boolean;
  },
): Record<string, unknown> {
  const tables = userTablesAt(`/proc/${rec.state.pid}/root`);
  let user = resolveUser(tables, o.user || rec.config.User);
  if (rec.hostConfig.GroupAdd?.length) {
    const extra = resolveGroups(tables, rec.hostConfig.GroupAdd).filter((g) => g !== user.gid && !user.additionalGids.includes(g));
    user = { ...user, additionalGids: [...user.additionalGids, ...extra] };
  }
  const caps = effectiveCapabilities(rec.hostConfig.CapAdd ?? [], rec.hostConfig.CapDrop ?? [], rec.hostConfig.Privileged || o.privileged);
  return {
    terminal: Boolean(o.tty),
    ...(o.tty && o.consoleSize ? { consoleSize: o.consoleSize } : {}),
    user: { uid: user.uid, gid: user.gid, ...(user.additionalGids.length ? { additionalGids: user.additionalGids } : {}) },
    args: o.args,
    env: mergeEnv(rec.config.Env, o.env ?? []),
    cwd: o.workingDir || rec.config.WorkingDir || '/',
    capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [] },
    rlimits: buildRlimits(rec.hostConfig.Ulimits ?? undefined),
    noNewPrivileges: parseSecurityOpt(rec.hostConfig.SecurityOpt).noNewPrivileges,
  };
}
