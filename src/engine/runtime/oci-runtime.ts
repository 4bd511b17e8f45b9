// Drives an OCI runtime binary (runc, or crun where cgroup v2 is pure) with a private state root.
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { UserError } from '../../errors.js';
import { removeStoppedRuncContainer } from './runc-stopped.js';

const execFileAsync = promisify(execFile);

export interface RuntimeState {
  id: string;
  pid: number;
  status: 'created' | 'running' | 'stopped' | 'paused' | 'creating';
  bundle: string;
}

const which = (name: string): string | undefined =>
  ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'].map((d) => `${d}/${name}`).find((p) => existsSync(p));

/** crun cannot run on cgroup v1/hybrid hosts; runc can run everywhere, so it is preferred unless cgroup v2 is pure. */
export function detectRuntimeBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TSCOMPOSE_OCI_RUNTIME) return env.TSCOMPOSE_OCI_RUNTIME;
  const pureV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const runc = which('runc');
  const crun = which('crun');
  const pick = pureV2 ? (crun ?? runc) : (runc ?? crun);
  if (!pick) throw new UserError('no OCI runtime found: install runc (apt-get install runc) to use the bundled engine');
  return pick;
}

export class OciRuntime {
  constructor(
    public readonly binary: string,
    public readonly stateRoot: string,
  ) {}

  /** runc mounts an overlay given as the OCI mount on `/` over the bundle's empty rootfs, in the container's own
   *  mount namespace (nothing to mount or clean up on the host); crun (1.8: "mount `overlay` to ``") and other
   *  runtimes get the root filesystem mounted on the host at root.path before they start. */
  get mountsRootOverlay(): boolean {
    return this.isRunc;
  }

  private get isRunc(): boolean {
    return /^runc/.test(path.basename(this.binary));
  }

  args(...rest: string[]): string[] {
    return ['--root', this.stateRoot, ...rest];
  }

  spawn(rest: string[], options: SpawnOptions = {}): ChildProcess {
    return spawn(this.binary, this.args(...rest), options);
  }

  async exec(...rest: string[]): Promise<string> {
    try {
      const { stdout } = await execFileAsync(this.binary, this.args(...rest), { maxBuffer: 16 * 1024 * 1024 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${this.binary} ${rest[0]}: ${(e.stderr || e.message).trim()}`);
    }
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    try {
      return JSON.parse(await this.exec('state', id)) as RuntimeState;
    } catch {
      return undefined;
    }
  }

  async kill(id: string, signal: string | number, all = false): Promise<void> {
    await this.exec('kill', ...(all ? ['--all'] : []), id, String(signal));
  }

  /** `runc delete`; a runc container whose process has ended is removed without starting runc (runc-stopped.ts). */
  async delete(id: string, force = false): Promise<void> {
    if (this.isRunc && (await removeStoppedRuncContainer(this.stateRoot, id))) return;
    await this.exec('delete', ...(force ? ['--force'] : []), id);
  }

  async pause(id: string): Promise<void> {
    await this.exec('pause', id);
  }

  /** `runc update`: new cgroup limits (OCI LinuxResources) for a running container. */
  update(id: string, resources: Record<string, unknown>): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = this.spawn(['update', '--resources', '-', id], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(stderr.trim() || `${this.binary} update exited ${code}`))));
      child.stdin!.end(JSON.stringify(resources));
    });
  }
  async resume(id: string): Promise<void> {
    await this.exec('resume', id);
  }

  /** Host pids of the container's processes. */
  async pids(id: string): Promise<number[]> {
    const out = await this.exec('ps', '--format', 'json', id);
    return (JSON.parse(out) as number[] | null) ?? [];
  }
}
