// Engine side of the supervisor: connects to the state root's supervisor (starting it detached, under
// its reaper where the host allows, when it is not running), hands it containers to run, and routes its
// exit notices to the engine.
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onJsonLines } from './json-lines.js';
import { exitFile, type ExitRecord, type SupervisorJob, type SupervisorMessage } from './supervisor.js';
import { ensurePrivateDir, supervisorSocketPath } from './supervisor-channel.js';
import { REAPER_SCRIPT } from './reaper-script.js';

const ownExt = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const SCRIPT = fileURLToPath(new URL(`./supervisor${ownExt}`, import.meta.url));

/** Only the loader flags of this process (e.g. `--import tsx` when running from source), not test-runner flags. */
function loaderArgs(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (['--import', '--loader', '--experimental-loader', '--require', '-r'].includes(a) && argv[i + 1]) out.push(a, argv[++i]!);
    else if (/^--(import|loader|experimental-loader|require)=/.test(a)) out.push(a);
  }
  return out;
}

/** A container whose process runs: runc's pid (it supervises the container) and the container's own. */
export interface RunStarted {
  runtimePid: number;
  pid: number;
}

/** The container ended before its process started (runc could not set it up or exec its command). */
export class ExitedBeforeStart extends Error {
  constructor(readonly record: ExitRecord) {
    super('the container exited before it started');
  }
}

export async function readExitRecord(dir: string): Promise<ExitRecord | undefined> {
  try {
    return JSON.parse(await readFile(exitFile(dir), 'utf8')) as ExitRecord;
  } catch {
    return undefined;
  }
}

export class SupervisorClient {
  private sock?: net.Socket;
  private connecting?: Promise<net.Socket>;
  private readonly started = new Map<string, { resolve: (s: RunStarted) => void; reject: (e: Error) => void }>();
  private listWaiters: { resolve: (ids: string[]) => void; reject: (e: Error) => void }[] = [];
  private helloWaiters: ((hello: { runtime: string; mode?: string } | undefined) => void)[] = [];
  /** the connection that answered the greeting; its loss is the supervisor's */
  private greeted?: net.Socket;
  /** how the connected supervisor launches containers: 'reaper' or 'foreground' */
  mode?: string;
  private closed = false;
  private readonly address: string;
  private readonly root: string;

  /**
   * @param onExit a container's process ended (record from the supervisor)
   * @param onLost the supervisor went away: every container it ran is gone with it
   */
  /** @param runtime the OCI runtime binary a supervisor this client starts runs every container with */
  constructor(
    root: string,
    private readonly runtime: string,
    private readonly logFile: string,
    private readonly onExit: (id: string, r: ExitRecord) => void,
    private readonly onLost: () => void,
  ) {
    this.root = root;
    this.address = supervisorSocketPath(root);
  }

  private tryConnect(): Promise<net.Socket | undefined> {
    return new Promise((resolve) => {
      const sock = net.connect(this.address);
      sock.once('connect', () => resolve(sock));
      sock.once('error', () => resolve(undefined));
    });
  }

  /** Starts the supervisor under its reaper (the perl script, written beside the supervisor socket in a
   *  root-only directory), or alone, running the runtime in the foreground per container, where the reaper
   *  cannot run (no perl, no prctl for this architecture) or TSCOMPOSE_SUPERVISOR_MODE=foreground. */
  private spawnHost(onGone: (code: number | null) => void): void {
    const supervisor = [process.execPath, ...loaderArgs(), SCRIPT, '--host', this.root, '--runtime', this.runtime];
    const detached = (command: string, args: string[]) => {
      const log = openSync(this.logFile, 'a');
      const child = spawn(command, args, { detached: true, stdio: ['ignore', 'ignore', log] });
      closeSync(log);
      child.unref();
      return child;
    };
    const foreground = (why: string) => {
      appendFileSync(
        this.logFile,
        `tscompose supervisor: ${why}: containers run with the runtime in the foreground, one runtime process each\n`,
      );
      detached(supervisor[0]!, supervisor.slice(1))
        .on('error', () => {})
        .on('exit', onGone);
    };
    if (process.env.TSCOMPOSE_SUPERVISOR_MODE === 'foreground') {
      foreground('TSCOMPOSE_SUPERVISOR_MODE=foreground');
      return;
    }
    const dir = path.dirname(this.address);
    ensurePrivateDir(dir);
    const script = path.join(dir, 'reaper.pl');
    writeFileSync(`${script}.tmp`, REAPER_SCRIPT, { mode: 0o600 });
    renameSync(`${script}.tmp`, script);
    const reaper = detached('perl', [
      script,
      this.root,
      this.runtime,
      path.join(dir, 'reaper.lock'),
      '--',
      ...supervisor,
      '--reaper-fd',
      '3',
    ]);
    reaper.on('error', (err) => foreground(`no reaper (perl: ${err.message})`));
    // 3: the reaper cannot be a subreaper here (it logged why); 0 at once: another reaper holds the lock
    reaper.on('exit', (code) => {
      if (code === 3) foreground('no reaper');
      else onGone(code);
    });
  }

  /** The connection, starting the supervisor when none answers. */
  connect(): Promise<net.Socket> {
    if (this.closed) return Promise.reject(new Error('the engine is closing'));
    if (this.sock && !this.sock.destroyed) return Promise.resolve(this.sock);
    this.connecting ??= this.establish().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async establish(): Promise<net.Socket> {
    const deadline = Date.now() + 30_000;
    let spawned = false;
    let respawns = 5;
    let answered = false;
    const onGone = () => {
      // a host that exits before answering lost a race with one that was exiting (idle) or restarting its
      // supervisor: it is started again, a few times
      if (!answered && respawns-- > 0)
        setTimeout(() => {
          if (!answered) this.spawnHost(onGone);
        }, 100);
    };
    try {
      while (Date.now() < deadline) {
        const sock = await this.tryConnect();
        if (!sock) {
          if (!spawned) this.spawnHost(onGone);
          spawned = true;
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        this.attach(sock);
        const hello = await new Promise<{ runtime: string; mode?: string } | undefined>((resolve) => {
          this.helloWaiters.push(resolve);
          this.send({ op: 'hello' });
        });
        // the peer closed before answering: a supervisor that was being killed still had its socket open
        // (the kernel accepts into the backlog of a dying process); the next one is awaited
        if (!hello) continue;
        answered = true;
        // a supervisor left by an engine that used another runtime would run containers this engine cannot manage
        if (hello.runtime !== this.runtime) {
          sock.destroy();
          throw new Error(
            `the container supervisor of ${this.root} runs containers with ${hello.runtime}, not ${this.runtime}: ` +
              `stop its containers or start the engine with TSCOMPOSE_OCI_RUNTIME=${hello.runtime}`,
          );
        }
        this.mode = hello.mode;
        this.greeted = sock;
        return sock;
      }
    } finally {
      answered = true;
    }
    throw new Error(`the container supervisor did not start; see ${this.logFile}`);
  }

  private attach(sock: net.Socket): void {
    this.sock = sock;
    onJsonLines<SupervisorMessage>(sock, (msg) => this.handle(msg));
    sock.on('error', () => {});
    sock.on('close', () => {
      if (this.sock === sock) this.sock = undefined;
      for (const w of this.helloWaiters) w(undefined);
      this.helloWaiters = [];
      for (const w of this.listWaiters) w.reject(new Error('the container supervisor went away'));
      this.listWaiters = [];
      for (const w of this.started.values()) w.reject(new Error('the container supervisor went away'));
      this.started.clear();
      // only the loss of a supervisor that answered counts: one that closed during the greeting was dying
      if (this.greeted === sock) {
        this.greeted = undefined;
        if (!this.closed) this.onLost();
      }
    });
  }

  private handle(msg: SupervisorMessage): void {
    if (msg.op === 'started' || msg.op === 'failed') {
      const w = this.started.get(msg.id);
      this.started.delete(msg.id);
      if (msg.op === 'started') w?.resolve({ runtimePid: msg.runtimePid, pid: msg.pid });
      else w?.reject(new Error(msg.error));
    } else if (msg.op === 'exit') {
      this.onExit(msg.id, msg.record);
      const w = this.started.get(msg.id);
      this.started.delete(msg.id);
      w?.reject(new ExitedBeforeStart(msg.record));
    } else if (msg.op === 'hello') {
      const waiters = this.helloWaiters;
      this.helloWaiters = [];
      for (const w of waiters) w({ runtime: msg.runtime ?? '', mode: msg.mode });
    } else if (msg.op === 'running') {
      const waiters = this.listWaiters;
      this.listWaiters = [];
      for (const w of waiters) w.resolve(msg.ids);
    }
  }

  private send(msg: SupervisorMessage): void {
    this.sock?.write(JSON.stringify(msg) + '\n');
  }

  /** Starts `runc run` for the job under the supervisor; resolves once the container's process runs. */
  async run(job: SupervisorJob): Promise<RunStarted> {
    await this.connect();
    return new Promise((resolve, reject) => {
      this.started.set(job.id, { resolve, reject });
      this.send({ op: 'run', job });
    });
  }

  /** Ids of the containers the supervisor is running right now. */
  async running(): Promise<Set<string>> {
    await this.connect();
    return new Set(
      await new Promise<string[]>((resolve, reject) => {
        this.listWaiters.push({ resolve, reject });
        this.send({ op: 'list' });
      }),
    );
  }

  stdin(id: string, data: Buffer): void {
    this.send({ op: 'stdin', id, data: data.toString('base64') });
  }
  stdinEnd(id: string): void {
    this.send({ op: 'stdin-end', id });
  }
  resize(id: string, height: number, width: number): void {
    this.send({ op: 'resize', id, height, width });
  }

  /** Disconnects; the supervisor and its containers keep running, unless `stop` and no container runs. */
  close(stop = false): void {
    this.closed = true;
    if (stop && this.sock) this.sock.end(JSON.stringify({ op: 'shutdown' }) + '\n');
    else this.sock?.destroy();
  }
}
