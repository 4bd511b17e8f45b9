// The network service's persistent state: networks, endpoints and attached containers in one JSON file,
// written atomically so an engine restart finds exactly what was there.
import { renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PortBinding } from '../contracts.js';
import { Mutex } from '../mutex.js';

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
  /** IPAM.Options as the create request gave them (null when it gave none, as Docker shows it) */
  ipamOptions: Record<string, string> | null;
  /** bridge driver only */
  bridge?: string;
  subnet?: string;
  /** the subnet came from the pools (may be re-picked while the network is unused) */
  autoSubnet?: boolean;
  gateway?: string;
  ipRange?: string;
  auxAddresses?: Record<string, string>;
  /** EnableIPv6: endpoints get an address of `subnet6` too */
  enableIPv6?: boolean;
  /** the IPv6 IPAM entry as the request gave it (kept and shown even without EnableIPv6, as Docker does) */
  ipam6?: { subnet: string; gateway?: string };
  /** the bridge's IPv6 address, the containers' IPv6 default route (with EnableIPv6) */
  gateway6?: string;
}

export interface EndpointRecord {
  id: string;
  networkId: string;
  containerId: string;
  ip: string;
  /** the endpoint's IPv6 address, on a network with IPv6 enabled */
  ip6?: string;
  mac: string;
  aliases: string[];
  /** names the embedded DNS answers with this endpoint's address */
  dnsNames: string[];
  /** legacy links ("container:alias"): names the DNS answers to this endpoint's container only */
  links?: string[];
  hostInterface: string;
  containerInterface: string;
}

export type AttachMode = 'bridge' | 'none' | 'host' | { container: string };

/** The network side of a container: how it is attached (not the container record of containers/record.ts). */
export interface AttachedContainer {
  id: string;
  name: string;
  hostname: string;
  /** the container lives in the network namespace of this process … */
  pid?: number;
  /** … or in this named namespace (/run/netns/<name>) the service made for it */
  netns?: string;
  /** nothing the container could do can have changed that namespace (see `recycle` in spare-pool.ts) */
  netnsReusable?: boolean;
  mode: AttachMode;
  ports: Record<string, PortBinding[] | null>;
  dns: string[];
  /** the address published ports forward to */
  portTargetIp?: string;
  resolvConf: string;
  hosts: string;
}

/** A warm network namespace on a network, ready for the next container (see spare-pool.ts). */
export interface SpareRecord {
  netns: string;
  endpoint: EndpointRecord;
}

export interface NetworkState {
  networks: NetworkRecord[];
  endpoints: EndpointRecord[];
  containers: AttachedContainer[];
  /** recorded so that an engine that died does not leave them (and their addresses) behind */
  spares?: SpareRecord[];
}

/** The state as readers see it: which networks, endpoints, containers and spares exist cannot be changed
 *  through it (the records' own fields can, by the code that owns them). */
export interface NetworkStateView {
  readonly networks: readonly NetworkRecord[];
  readonly endpoints: readonly EndpointRecord[];
  readonly containers: readonly AttachedContainer[];
  readonly spares?: readonly SpareRecord[];
}

/** What a critical section gets: the state to change, and a way to persist it before the lock is released. */
export interface NetworkTx {
  state: NetworkState;
  save(): Promise<void>;
  /** Reads the state file again (the first load) */
  reload(): Promise<void>;
}

/** The format of state.json, written in it; see `read` for older files. */
export const NETWORK_STATE_VERSION = 1;

const EMPTY = (): NetworkState => ({ networks: [], endpoints: [], containers: [] });

/** The network state and the only way to change it: `withLock(tx => …)` runs critical sections one after
 *  another; outside them the state is a read-only view. Saved as <networks>/state.json, written atomically. */
export class NetworkStore {
  private readonly file: string;
  private state: NetworkState = EMPTY();
  private readonly mutex = new Mutex();

  constructor(dir: string) {
    this.file = path.join(dir, 'state.json');
  }

  get view(): NetworkStateView {
    return this.state;
  }

  withLock<T>(fn: (tx: NetworkTx) => Promise<T>): Promise<T> {
    return this.mutex.run(() => {
      // made when the section runs, not when it queues: an earlier section may have reloaded the state
      const tx: NetworkTx = {
        state: this.state,
        save: () => this.write(),
        reload: async () => {
          this.state = await this.read();
          tx.state = this.state;
        },
      };
      return fn(tx);
    });
  }

  private async read(): Promise<NetworkState> {
    let stored: { version?: number } & NetworkState;
    try {
      stored = JSON.parse(await readFile(this.file, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY();
      throw err;
    }
    // version 1 is the first versioned format; files written before had no version and the same shape
    const version = stored.version ?? NETWORK_STATE_VERSION;
    if (version > NETWORK_STATE_VERSION)
      throw new Error(`${this.file}: state version ${version} is newer than this engine's (${NETWORK_STATE_VERSION})`);
    const { networks, endpoints, containers } = stored;
    return {
      networks: networks ?? [],
      endpoints: endpoints ?? [],
      containers: containers ?? [],
      ...(stored.spares ? { spares: stored.spares } : {}),
    };
  }

  private async write(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    // synchronous: a few kilobytes, written faster than two trips through the thread pool
    writeFileSync(tmp, JSON.stringify({ version: NETWORK_STATE_VERSION, ...this.state }));
    renameSync(tmp, this.file);
  }
}
