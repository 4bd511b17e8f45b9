// The network service's persistent state: networks, endpoints and attached containers in one JSON file,
// written atomically so an engine restart finds exactly what was there.
import { renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PortBinding } from '../contracts.js';

export interface NetworkRecord {
  id: string;
  name: string;
  created: string;
  driver: 'bridge' | 'host' | 'null';
  builtin: boolean;
  internal: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  ipamOptions: Record<string, string>;
  /** bridge driver only */
  bridge?: string;
  subnet?: string;
  /** the subnet came from the pools (may be re-picked while the network is unused) */
  autoSubnet?: boolean;
  gateway?: string;
  ipRange?: string;
  auxAddresses?: Record<string, string>;
}

export interface EndpointRecord {
  id: string;
  networkId: string;
  containerId: string;
  ip: string;
  mac: string;
  aliases: string[];
  /** names the embedded DNS answers with this endpoint's address */
  dnsNames: string[];
  hostInterface: string;
  containerInterface: string;
}

export type AttachMode = 'bridge' | 'none' | 'host' | { container: string };

export interface ContainerRecord {
  id: string;
  name: string;
  hostname: string;
  /** the container lives in the network namespace of this process … */
  pid?: number;
  /** … or in this named namespace (/run/netns/<name>) the service made for it */
  netns?: string;
  /** nothing the container could do can have changed that namespace (see `recycle` in service.ts) */
  netnsReusable?: boolean;
  mode: AttachMode;
  ports: Record<string, PortBinding[] | null>;
  dns: string[];
  /** the address published ports forward to */
  portTargetIp?: string;
  resolvConf: string;
  hosts: string;
}

/** A warm network namespace on a network, ready for the next container (see `spares` in service.ts). */
export interface SpareRecord { netns: string; endpoint: EndpointRecord }

export interface NetworkState {
  networks: NetworkRecord[];
  endpoints: EndpointRecord[];
  containers: ContainerRecord[];
  /** recorded so that an engine that died does not leave them (and their addresses) behind */
  spares?: SpareRecord[];
}

export class StateFile {
  private readonly file: string;
  constructor(dir: string) { this.file = path.join(dir, 'state.json'); }

  async load(): Promise<NetworkState> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as NetworkState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { networks: [], endpoints: [], containers: [] };
      throw err;
    }
  }

  async save(state: NetworkState): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    // synchronous: a few kilobytes, written faster than two trips through the thread pool
    writeFileSync(tmp, JSON.stringify(state));
    renameSync(tmp, this.file);
  }
}

/** Runs critical sections one after another. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
