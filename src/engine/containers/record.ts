// A container as the engine stores it: a typed, versioned record persisted as container.json in its directory.
// The engine's own state is camelCase; what the client specified (Config, HostConfig, endpoint settings) stays in
// the Engine API's vocabulary (docker-config.ts). The routes turn a record into Docker's shapes (inspect.ts).
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { EndpointSettings } from '../contracts.js';
import type { ContainerConfig, EndpointConfig, HostConfig, PortMap } from './docker-config.js';
import { CONTAINER_RECORD_VERSION, migrateContainerRecord } from './record-migration.js';

export { CONTAINER_RECORD_VERSION };

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** One healthcheck probe. */
export interface HealthProbe {
  start: string;
  end: string;
  exitCode: number;
  output: string;
}
export interface HealthState {
  status: 'starting' | 'healthy' | 'unhealthy';
  failingStreak: number;
  log: HealthProbe[];
}

export interface ContainerState {
  status: ContainerStatus;
  running: boolean;
  paused: boolean;
  restarting: boolean;
  oomKilled: boolean;
  dead: boolean;
  pid: number;
  exitCode: number;
  error: string;
  startedAt: string;
  finishedAt: string;
  health?: HealthState;
}

/** A mount as the container got it (inspect's Mounts). */
export interface MountPoint {
  type: string;
  source: string;
  destination: string;
  mode: string;
  rw: boolean;
  propagation: string;
  name?: string;
  driver?: string;
}

/** The container's live networking, from the network service: endpoints by network name, published ports,
 *  the namespace path. */
export interface NetworkSettings {
  networks: Record<string, EndpointSettings>;
  ports: PortMap;
  sandboxKey?: string;
}

export interface ContainerRecord {
  version: typeof CONTAINER_RECORD_VERSION;
  id: string;
  name: string; // with the leading slash, as Docker
  created: string;
  path: string;
  args: string[];
  imageId: string;
  config: ContainerConfig; // the create request's Config, image defaults merged in
  hostConfig: HostConfig;
  /** the networks asked for at create, and by connect/disconnect since (Docker's NetworkingConfig.EndpointsConfig) */
  endpointsConfig: Record<string, EndpointConfig | null>;
  state: ContainerState;
  restartCount: number;
  networkSettings: NetworkSettings;
  mounts: MountPoint[];
  layerDirs: string[];
  runtimePid?: number;
  manualStop?: boolean; // stopped through the API: unless-stopped and always policies respect it
  killedByEngine?: boolean; // SIGKILL sent by the engine, so a 137 is not an OOM kill
  /** disconnected (while not running) from the user network its NetworkMode names: not joined at the next start */
  leftModeNetwork?: boolean;
}

/** The user network a container's NetworkMode names and that it still belongs to, if any. */
export function modeNetworkOf(rec: ContainerRecord): string | undefined {
  const mode = String(rec.hostConfig.NetworkMode ?? 'default');
  if (['default', 'bridge', 'host', 'none'].includes(mode) || mode.startsWith('container:') || rec.leftModeNetwork) return undefined;
  return mode;
}

export const initialState = (): ContainerState => ({
  status: 'created',
  running: false,
  paused: false,
  restarting: false,
  oomKilled: false,
  dead: false,
  pid: 0,
  exitCode: 0,
  error: '',
  startedAt: '0001-01-01T00:00:00Z',
  finishedAt: '0001-01-01T00:00:00Z',
});

/** Changes a container's state; typed, so a misspelt field is a compile error rather than a silent extra key. */
export function setState(rec: ContainerRecord, patch: Partial<ContainerState>): void {
  Object.assign(rec.state, patch);
}

export class ContainerStore {
  readonly byId = new Map<string, ContainerRecord>();
  private readonly saving = new Map<string, Promise<void>>();
  private tmpCounter = 0;
  private readonly removed = new Set<string>();

  /** @param onUnreadable a container.json that cannot be read: the container is left on disk, untouched */
  constructor(
    readonly dir: string,
    private readonly onUnreadable: (id: string, err: Error) => void = () => {},
  ) {}

  containerDir(id: string): string {
    return path.join(this.dir, id);
  }

  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const id of await readdir(this.dir)) {
      let text: string;
      try {
        text = await readFile(path.join(this.dir, id, 'container.json'), 'utf8');
      } catch {
        continue;
      } // half-created
      try {
        const stored: unknown = JSON.parse(text);
        const { record, migrated } = migrateContainerRecord(stored);
        this.byId.set(record.id, record);
        if (migrated) await this.save(record); // written once in the current format; older engines cannot read it back
      } catch (err) {
        this.onUnreadable(id, err as Error);
      }
    }
  }

  /** Atomic (write a uniquely named tmp file, rename it over) and one at a time per container, so the last
   *  save wins and concurrent saves never share or lose a tmp file. */
  save(rec: ContainerRecord): Promise<void> {
    if (this.removed.has(rec.id)) return Promise.resolve(); // a late save must not bring a removed container back
    this.byId.set(rec.id, rec);
    const prev = this.saving.get(rec.id) ?? Promise.resolve();
    const run = prev.catch(() => {}).then(() => this.write(rec));
    this.saving.set(rec.id, run);
    const forget = () => {
      if (this.saving.get(rec.id) === run) this.saving.delete(rec.id);
    };
    run.then(forget, forget);
    return run;
  }

  private async write(rec: ContainerRecord): Promise<void> {
    if (!this.byId.has(rec.id)) return; // removed while this save waited its turn
    const file = path.join(this.containerDir(rec.id), 'container.json');
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
    for (const c of this.byId.values()) if (c.name === name) return c;
    const matches = [...this.byId.values()].filter((c) => c.id.startsWith(ref));
    return matches.length === 1 ? matches[0] : undefined;
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()];
  }
}
