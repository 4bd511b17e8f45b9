// A container as the engine stores it: Docker's inspect shape, persisted as container.json in its directory.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

export interface ContainerState {
  Status: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: { Status: string; FailingStreak: number; Log: { Start: string; End: string; ExitCode: number; Output: string }[] };
}

export interface ContainerRecord {
  Id: string;
  Name: string; // with the leading slash, as Docker
  Created: string;
  Path: string;
  Args: string[];
  Image: string; // image id
  Config: Record<string, any>; // Docker ContainerConfig, image defaults merged in
  HostConfig: Record<string, any>;
  NetworkingConfig: { EndpointsConfig?: Record<string, any> };
  State: ContainerState;
  RestartCount: number;
  NetworkSettings: { Networks: Record<string, any>; Ports: Record<string, any>; SandboxKey?: string };
  Mounts: { Type: string; Source: string; Destination: string; Mode: string; RW: boolean; Propagation: string; Name?: string; Driver?: string }[];
  LayerDirs: string[];
  SupervisorPid?: number;
  ManualStop?: boolean; // stopped through the API: unless-stopped and always policies respect it
  KilledByEngine?: boolean; // SIGKILL sent by the engine, so a 137 is not an OOM kill
  /** disconnected (while not running) from the user network its NetworkMode names: not joined at the next start */
  LeftModeNetwork?: boolean;
}

/** The user network a container's NetworkMode names and that it still belongs to, if any. */
export function modeNetworkOf(rec: ContainerRecord): string | undefined {
  const mode = String(rec.HostConfig.NetworkMode ?? 'default');
  if (['default', 'bridge', 'host', 'none'].includes(mode) || mode.startsWith('container:') || rec.LeftModeNetwork) return undefined;
  return mode;
}

export const initialState = (): ContainerState => ({
  Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0,
  Error: '', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z',
});

export class ContainerStore {
  readonly byId = new Map<string, ContainerRecord>();
  private readonly saving = new Map<string, Promise<void>>();
  private tmpCounter = 0;
  private readonly removed = new Set<string>();

  constructor(readonly dir: string) {}

  containerDir(id: string): string { return path.join(this.dir, id); }

  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const id of await readdir(this.dir)) {
      try {
        const rec = JSON.parse(await readFile(path.join(this.dir, id, 'container.json'), 'utf8')) as ContainerRecord;
        this.byId.set(rec.Id, rec);
      } catch { /* a half-created container: ignore */ }
    }
  }

  /** Atomic (write a uniquely named tmp file, rename it over) and one at a time per container, so the last
   *  save wins and concurrent saves never share or lose a tmp file. */
  save(rec: ContainerRecord): Promise<void> {
    if (this.removed.has(rec.Id)) return Promise.resolve(); // a late save must not bring a removed container back
    this.byId.set(rec.Id, rec);
    const prev = this.saving.get(rec.Id) ?? Promise.resolve();
    const run = prev.catch(() => {}).then(() => this.write(rec));
    this.saving.set(rec.Id, run);
    const forget = () => { if (this.saving.get(rec.Id) === run) this.saving.delete(rec.Id); };
    run.then(forget, forget);
    return run;
  }

  private async write(rec: ContainerRecord): Promise<void> {
    if (!this.byId.has(rec.Id)) return; // removed while this save waited its turn
    const file = path.join(this.containerDir(rec.Id), 'container.json');
    const tmp = `${file}.${process.pid}.${++this.tmpCounter}.tmp`;
    // synchronous: a few kilobytes, written faster than two trips through the thread pool
    try {
      writeFileSync(tmp, JSON.stringify(rec));
      renameSync(tmp, file);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }

  /** Drops the container from the API's view; remove() deletes its directory. */
  forget(id: string): void {
    this.byId.delete(id);
    this.removed.add(id);
  }

  async remove(id: string): Promise<void> {
    this.forget(id);
    await this.saving.get(id)?.catch(() => {});
    await rm(this.containerDir(id), { recursive: true, force: true });
  }

  /** Docker's lookup order: full id, exact name, unique id prefix. */
  find(ref: string): ContainerRecord | undefined {
    const direct = this.byId.get(ref);
    if (direct) return direct;
    const name = ref.startsWith('/') ? ref : `/${ref}`;
    for (const c of this.byId.values()) if (c.Name === name) return c;
    const matches = [...this.byId.values()].filter((c) => c.Id.startsWith(ref));
    return matches.length === 1 ? matches[0] : undefined;
  }

  all(): ContainerRecord[] { return [...this.byId.values()]; }
}
