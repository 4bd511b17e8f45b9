// Engine side of the supervisor: connects to the state root's supervisor (starting it detached when it
// is not running), hands it containers to run, and routes its exit notices to the engine.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { onJsonLines } from './json-lines.js';
import { exitFile, type ExitRecord, type SupervisorJob, type SupervisorMessage } from './supervisor.js';
import { supervisorSocketPath } from './supervisor-channel.js';

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
export interface RunStarted { runtimePid: number; pid: number }

/** The container ended before its process started (runc could not set it up or exec its command). */
export class ExitedBeforeStart extends Error {
  constructor(readonly record: ExitRecord) { super('the container exited before it started'); }
}

export async function readExitRecord(dir: string): Promise<ExitRecord | undefined> {
  try { return JSON.parse(await readFile(exitFile(dir), 'utf8')) as ExitRecord; } catch { return undefined; }
}

export class SupervisorClient {
  private sock?: net.Socket;
  private connecting?: Promise<net.Socket>;
  private readonly started = new Map<string, { resolve: (s: RunStarted) => void; reject: (e: Error) => void }>();
  private listWaiters: ((ids: string[]) => void)[] = [];
  private helloWaiters: ((runtime: string) => void)[] = [];
  private closed = false;
  private readonly address: string;
  private readonly root: string;

  /**
   * @param onExit a container's process ended (record from the supervisor)
   * @param onLost the supervisor went away: every container it ran is gone with it
   */
  /** @param runtime the OCI runtime binary a supervisor this client starts runs every container with */
  constructor(root: string, private readonly runtime: string, private readonly logFile: string,
    private readonly onExit: (id: string, r: ExitRecord) => void, private readonly onLost: () => void) {
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

  private spawnHost(): void {
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [...loaderArgs(), SCRIPT, '--host', this.root, '--runtime', this.runtime],
      { detached: true, stdio: ['ignore', 'ignore', log] });
    closeSync(log);
    child.on('error', () => {});
    child.unref();
  }

  /** The connection, starting the supervisor when none answers. */
  connect(): Promise<net.Socket> {
    if (this.sock && !this.sock.destroyed) return Promise.resolve(this.sock);
    this.connecting ??= (async () => {
      let sock = await this.tryConnect();
      if (!sock) {
        this.spawnHost();
        for (let i = 0; i < 1500 && !sock; i++) {
          await new Promise((r) => setTimeout(r, 20));
          sock = await this.tryConnect();
        }
      }
      if (!sock) throw new Error(`the container supervisor did not start; see ${this.logFile}`);
      this.attach(sock);
      // a supervisor left by an engine that used another runtime would run containers this engine cannot manage
      const theirs = await new Promise<string>((resolve) => { this.helloWaiters.push(resolve); this.send({ op: 'hello' }); });
      if (theirs !== this.runtime) {
        throw new Error(`the container supervisor of ${this.root} runs containers with ${theirs}, not ${this.runtime}: `
          + `stop its containers or start the engine with TSCOMPOSE_OCI_RUNTIME=${theirs}`);
      }
      return sock;
    })().finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  private attach(sock: net.Socket): void {
    this.sock = sock;
    onJsonLines<SupervisorMessage>(sock, (msg) => this.handle(msg));
    sock.on('error', () => {});
    sock.on('close', () => {
      if (this.sock === sock) this.sock = undefined;
      for (const w of this.helloWaiters) w('(gone)');
      this.helloWaiters = [];
      for (const w of this.started.values()) w.reject(new Error('the container supervisor went away'));
      this.started.clear();
      if (!this.closed) this.onLost();
    });
  }

  private handle(msg: SupervisorMessage): void {
    if (msg.op === 'started' || msg.op === 'failed') {
      const w = this.started.get(msg.id);
      this.started.delete(msg.id);
      if (msg.op === 'started') w?.resolve({ runtimePid: msg.runtimePid, pid: msg.pid }); else w?.reject(new Error(msg.error));
    } else if (msg.op === 'exit') {
      this.onExit(msg.id, msg.record);
      const w = this.started.get(msg.id);
      this.started.delete(msg.id);
      w?.reject(new ExitedBeforeStart(msg.record));
    } else if (msg.op === 'hello') {
      const waiters = this.helloWaiters;
      this.helloWaiters = [];
      for (const w of waiters) w(msg.runtime ?? '');
    } else if (msg.op === 'running') {
      const waiters = this.listWaiters;
      this.listWaiters = [];
      for (const w of waiters) w(msg.ids);
    }
  }

  private send(msg: SupervisorMessage): void { this.sock?.write(JSON.stringify(msg) + '\n'); }

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
    return new Set(await new Promise<string[]>((resolve) => { this.listWaiters.push(resolve); this.send({ op: 'list' }); }));
  }

  stdin(id: string, data: Buffer): void { this.send({ op: 'stdin', id, data: data.toString('base64') }); }
  stdinEnd(id: string): void { this.send({ op: 'stdin-end', id }); }

  /** Disconnects; the supervisor and its containers keep running, unless `stop` and no container runs. */
  close(stop = false): void {
    this.closed = true;
    if (stop && this.sock) this.sock.end(JSON.stringify({ op: 'shutdown' }) + '\n');
    else this.sock?.destroy();
  }
}
