// Engine side of the supervisor: launches supervisors (keeping one spare warmed up, because starting node
// takes longer than starting a container) and follows them over their control socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { exitFile, supervisorSocket, type ExitRecord, type SupervisorJob } from './supervisor.js';

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

export class SupervisorLauncher {
  private spare?: ChildProcess;
  private disposed = false;

  /** @param logFile where supervisors' own errors go (not the containers' output) */
  constructor(private readonly logFile: string, private readonly keepSpare = true) {}

  private spawnOne(): ChildProcess {
    const log = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [...loaderArgs(), SCRIPT, '--supervise'], { detached: true, stdio: ['pipe', 'pipe', log] });
    closeSync(log);
    child.on('error', () => {});
    child.stdin!.on('error', () => {});
    child.unref();
    return child;
  }

  warmUp(): void {
    if (this.keepSpare && !this.spare && !this.disposed) this.spare = this.spawnOne();
  }

  /** Hands the job to a supervisor; resolves with its pid once its control socket listens. */
  async launch(job: SupervisorJob): Promise<number> {
    const child = this.spare ?? this.spawnOne();
    this.spare = undefined;
    child.stdin!.end(JSON.stringify(job) + '\n');
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('listening')) resolve(); });
      child.stdout!.on('end', () => {
        if (out.includes('listening')) return;
        child.once('exit', (code, signal) => reject(new Error(`the container supervisor exited before it was ready (${signal ?? `exit code ${code}`})`)));
        if (child.exitCode !== null || child.signalCode !== null) reject(new Error(`the container supervisor exited before it was ready (${child.signalCode ?? `exit code ${child.exitCode}`})`));
      });
      child.on('error', reject);
    });
    child.stdout!.destroy();
    setImmediate(() => this.warmUp());
    return child.pid!;
  }

  dispose(): void {
    this.disposed = true;
    this.spare?.kill();
    this.spare = undefined;
  }
}

export interface SupervisorLink {
  sendStdin(data: Buffer): void;
  endStdin(): void;
  close(): void;
}

export async function readExitRecord(dir: string): Promise<ExitRecord | undefined> {
  try { return JSON.parse(await readFile(exitFile(dir), 'utf8')) as ExitRecord; } catch { return undefined; }
}

/** Follows a supervisor: onExit gets its exit record, or undefined when the supervisor vanished without one. */
export function followSupervisor(dir: string, supervisorPid: number, onExit: (r: ExitRecord | undefined) => void): Promise<SupervisorLink | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect(supervisorSocket(dir, supervisorPid));
    let connected = false;
    let reported = false;
    let buf = '';
    const report = (r: ExitRecord | undefined) => { if (!reported) { reported = true; onExit(r); } };
    sock.on('connect', () => {
      connected = true;
      resolve({
        sendStdin: (data) => { sock.write(JSON.stringify({ type: 'stdin', data: data.toString('base64') }) + '\n'); },
        endStdin: () => { sock.write(JSON.stringify({ type: 'stdin-end' }) + '\n'); },
        close: () => { reported = true; sock.destroy(); },
      });
    });
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)) as { type: string } & ExitRecord;
        if (msg.type === 'exit') report({ exitCode: msg.exitCode, finishedAt: msg.finishedAt });
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      if (!connected) { resolve(undefined); return; }
      if (!reported) void readExitRecord(dir).then(report);
    });
  });
}
