// The seams between the engine's subsystems. The daemon (engine.ts) wires one implementation of each;
// every subsystem depends only on these interfaces, never on another subsystem's internals. The routes in
// api/ are written against the *Management/*Building interfaces below: operations in domain terms that
// take and return a subsystem's own records (type-only imports here); Docker's JSON shapes are made in
// api/ or in a subsystem's format module (images/api-format.ts), never by a service.
import type { Readable, Writable } from 'node:stream';
import type { EndpointConfig } from './containers/docker-config.js';
import type { ContainerLayout } from './containers/layout.js';
import type { ContainerRecord } from './containers/record.js';
import type { EventBus } from './events.js';
import type { BuildSession } from './images/build/secrets.js';
import type { LoadedImage } from './images/load.js';
import type { Credentials } from '../registry/credentials.js';
import type { Progress } from './images/pull/puller.js';
import type { PushResult } from './images/push/pusher.js';
import type { ImageReference } from './images/reference.js';
import type { StoredImage } from './images/store.js';
import type { EndpointRecord, NetworkRecord } from './network/state.js';
import type { EnginePaths } from './paths.js';
import type { Logger } from './log.js';
import type { VolumeRecord } from './volumes/store.js';

/** The OCI image config's runtime part ("config" in the image config JSON), Docker field names. */
export interface ImageRuntimeConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number; StartInterval?: number };
  Shell?: string[];
  /** ONBUILD triggers: Dockerfile instructions run when a build uses the image as its base */
  OnBuild?: string[] | null;
}

export interface ImageRecord {
  id: string; // "sha256:<config digest>"
  repoTags: string[]; // ["docker.io/library/busybox:latest"] normalized, shown short by the API
  repoDigests: string[];
  created: string; // RFC 3339
  size: number;
  architecture: string;
  os: string;
  config: ImageRuntimeConfig;
  /** unpacked layer directories, bottom layer first; overlayfs lowerdir wants them reversed */
  layerDirs: string[];
}

/** Implemented by images/: what containers/ and the daemon ask of the image store. */
export interface ImageService {
  resolve(ref: string): Promise<ImageRecord | undefined>; // name[:tag], name@digest, id or id prefix
  list(): Promise<ImageRecord[]>;
  /** containers/ tells which containers use an image id, so DELETE /images refuses images in use unless forced */
  setUsageProbe?(probe: (imageId: string) => string[] | Promise<string[]>): void;
  /** `docker commit`: a new image made of `parent` (an image id) and one more layer packed from `layerDir` */
  commitLayer?(o: CommitRequest): Promise<ImageRecord>;
}

export interface CommitRequest {
  parent: string;
  layerDir: string; // an overlay upper dir: whiteouts become .wh. entries
  skip: Set<string>; // relative paths left out of the layer (the runtime's mount points)
  config: ImageRuntimeConfig;
  name?: string; // repo[:tag]
  comment?: string;
  author?: string;
  createdBy: string;
}

/** Runs one process to completion in a throwaway container (Dockerfile RUN, volume seeding helpers). */
export interface OneShotRunner {
  runOneShot(opts: {
    lowerDirs: string[]; // bottom first
    upperDir: string; // changes land here (becomes the new layer for RUN)
    args: string[];
    env: string[];
    workingDir?: string;
    user?: string; // "uid[:gid]" or name resolved against the rootfs
    /** "host" (only when the user asks), "none" (loopback only), or a bridge network the process joins
     *  with a namespace of its own: "default"/"bridge" (the default) or a network's name or id */
    network?: string;
    /** "name:ip" entries added to the process's /etc/hosts */
    extraHosts?: string[];
    /** names the throwaway container (its hostname is the first 12 characters, as with Docker's builder) */
    id?: string;
    /** what the step network layer (runtime/step-network.ts) made for this run; without it the runner
     *  itself can only give a namespace with loopback only, or the host's */
    sandbox?: OneShotSandbox;
    /** extra mounts (RUN --mount, heredoc scripts), after the default ones */
    mounts?: { destination: string; type: string; source: string; options?: string[] }[];
    onOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  }): Promise<{ exitCode: number }>;
  /** Rejects (an invalid or not-found EngineError) a network the runner cannot put a process on, before any work. */
  checkNetwork?(network: string): Promise<void>;
}

/** A one-shot process's network and the contents of its /etc/hosts and /etc/resolv.conf. */
export interface OneShotSandbox {
  /** the namespace it joins; without it, the host's when `host`, else a new one with loopback only */
  netnsPath?: string;
  host: boolean;
  hostname: string;
  hosts: string;
  resolvConf: string;
}

/** What the container subsystem asks of networks/ when a container starts and stops. */
export interface EndpointRequest {
  network: string; // network name or id
  aliases: string[];
  ipv4Address?: string;
  /** on a network with IPv6 enabled (IPAMConfig.IPv6Address) */
  ipv6Address?: string;
  macAddress?: string;
  /** legacy links on a user network, "container:alias": the alias resolves, for this container only */
  links?: string[];
}

export interface EndpointSettings {
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  MacAddress: string;
  Aliases: string[] | null;
  DNSNames?: string[] | null;
  /** on a network with IPv6 enabled */
  IPv6Gateway?: string;
  GlobalIPv6Address?: string;
  GlobalIPv6PrefixLen?: number;
}

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

export interface NetworkAttachment {
  networks: Record<string, EndpointSettings>; // by network name
  ports: Record<string, PortBinding[] | null>; // "80/tcp" -> bindings actually in use
  resolvConf: string; // contents for /etc/resolv.conf
  hosts: string; // contents for /etc/hosts
  /** bridge mode without `pid`: the network namespace made for the container, which the runtime joins */
  netnsPath?: string;
}

/** Implemented by network/. Called by containers/ before the runtime starts the container. */
export interface NetworkService {
  attach(opts: {
    containerId: string;
    containerName: string; // without leading slash
    hostname: string;
    /** a process already in the container's network namespace; without it, bridge mode makes a
     *  namespace (`netnsPath` of the result) and none/host/container modes need none */
    pid?: number;
    mode: 'bridge' | 'none' | 'host' | { container: string };
    /** the container may change its network namespace (privileged, NET_ADMIN, net.* sysctls) */
    configuresNetwork?: boolean;
    endpoints: EndpointRequest[]; // empty with mode bridge = the default "bridge" network
    portBindings: Record<string, PortBinding[] | null>; // HostConfig.PortBindings (null: any host port)
    publishAll: boolean;
    exposedPorts: string[]; // "80/tcp"
    extraHosts: string[]; // "host:ip"
    dns: string[];
    dnsSearch: string[];
    dnsOptions: string[];
  }): Promise<NetworkAttachment>;
  detach(containerId: string): Promise<void>;
  /** re-establish bridges, DNS and port forwards for running containers after an engine restart */
  restore(running: { containerId: string; pid: number }[]): Promise<void>;
  /** the container's current attachment (changes with POST /networks/{id}/connect and disconnect) */
  attachmentOf?(containerId: string): Promise<NetworkAttachment | undefined>;
  /** stop this process's DNS servers and port proxies (engine shutdown); host state stays for restore */
  close?(): Promise<void>;
  /** A network by full id, name or unique id prefix. */
  findNetwork?(ref: string): Promise<{ id: string; name: string } | undefined>;
  /** Adds an interface on `network` to a running, attached container. */
  connect?(network: string, containerId: string, req: Omit<EndpointRequest, 'network'>): Promise<void>;
  /** Removes a running container's interface on `network`. */
  disconnect?(network: string, containerId: string): Promise<void>;
}

/** A mount as the runtime needs it, after volumes/ resolved it. */
export interface ResolvedMount {
  type: 'bind' | 'tmpfs';
  source: string;
  destination: string;
  options: string[];
}

/** Implemented by volumes/. */
export interface VolumeService {
  /** Turn a HostConfig.Mounts / Binds / Tmpfs entry into a runtime mount; creates named volumes on first
   *  use and seeds an empty volume from the image content at the target (`imageRootfs` is a merged view). */
  resolve(
    containerId: string,
    mount: {
      Type: 'volume' | 'bind' | 'tmpfs';
      Source?: string;
      Target: string;
      ReadOnly?: boolean;
      VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> };
      BindOptions?: { CreateMountpoint?: boolean; Propagation?: string };
      TmpfsOptions?: { SizeBytes?: number; Mode?: number };
    },
    imageRootfs: string,
  ): Promise<ResolvedMount>;
  release(containerId: string, removeAnonymous: boolean): Promise<void>;
  /** what resolve() gave a container (volume names, bind sources), for VolumesFrom: resolve them again */
  mountsOf?(containerId: string): Promise<{ type: 'volume' | 'bind' | 'tmpfs'; source: string; target: string; readOnly: boolean }[]>;
}

export interface EngineContext {
  paths: EnginePaths;
  events: EventBus;
  /** the engine's log (stderr and <state>/engine.log); parts take a child with their component */
  log: Logger;
}

// ---- what the API routes ask of the subsystems (api/*-routes.ts) -----------------------------------

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** Implemented by containers/: the container lifecycle the routes (api/container-routes.ts,
 *  api/container-image-routes.ts, api/network-membership-routes.ts) and exec drive. `ref` is an id, a name or a unique
 *  id prefix; an unknown one rejects with a not-found EngineError. */
export interface ContainerManagement {
  list(): ContainerRecord[];
  get(ref: string): ContainerRecord;
  /** where the container's files are (log, hosts, resolv.conf …) */
  layout(id: string): ContainerLayout;
  /** Docker's create request body (Config with HostConfig and NetworkingConfig) */
  create(body: Record<string, any>, name: string | null): Promise<{ Id: string; Warnings: string[] }>;
  start(ref: string): Promise<'started' | 'already'>;
  /** the stop signal, then SIGKILL after the timeout; false when it was not running */
  stop(ref: string, timeoutSec?: number, signal?: string): Promise<boolean>;
  /** resolves once a SIGKILLed container is recorded as exited; at once for other signals */
  kill(ref: string, signal?: string): Promise<void>;
  restart(ref: string, timeoutSec?: number, signal?: string): Promise<void>;
  pause(ref: string): Promise<void>;
  unpause(ref: string): Promise<void>;
  remove(ref: string, opts: { force?: boolean; volumes?: boolean }): Promise<void>;
  rename(ref: string, newName: string): Promise<void>;
  /** DELETE /containers/{parent}/{alias}?link=1: removes a legacy link (`/parent/alias`), both containers stay */
  removeLink(linkName: string): Promise<void>;
  /** Docker's UpdateConfig: limits applied to a running container, restart policy; returns warnings */
  update(ref: string, body: Record<string, any>): Promise<string[]>;
  top(ref: string, psArgs?: string): Promise<{ Titles: string[]; Processes: string[][] }>;
  /** the exit code the condition ends with; -1 when `closed` comes first */
  wait(ref: string, condition: WaitCondition, closed?: Promise<void>): Promise<number>;
  nextExit(id: string): Promise<number>;
  /** POST /networks/{id}/connect|disconnect: at once for a running container, recorded for its next start otherwise */
  connectNetwork(networkRef: string, containerRef: string, config?: EndpointConfig): Promise<void>;
  disconnectNetwork(networkRef: string, containerRef: string): Promise<void>;
  sendStdin(id: string, data: Buffer): void;
  endStdin(id: string): void;
  /** sets a running terminal container's window size */
  resize(ref: string, height: number, width: number): void;
  /** the container's root as its processes see it (running) or mounted for the call (stopped), one at a time with start */
  withRootfs<T>(ref: string, fn: (rootfs: string) => Promise<T>): Promise<T>;
  /** image layers plus the container's changes, read-only, without mounts (docker export, commit, diff) */
  withFilesystemView<T>(ref: string, fn: (dir: string) => Promise<T>): Promise<T>;
}

/** Implemented by images/: list, inspect, load, save, import, pull, tag and remove images (api/image-routes.ts,
 *  api/image-create-route.ts). Every operation that changes the store publishes its image event. */
export interface ImageManagement {
  images(): Promise<StoredImage[]>;
  /** by name[:tag], name@digest, id or id prefix; rejects with a not-found EngineError */
  find(ref: string): Promise<StoredImage>;
  /** the unpacked directory of a layer (by diff id) */
  layerDir(diffId: string): string;
  /** a `docker save` archive read from `archive`; bad content rejects with an invalid EngineError */
  load(archive: Readable): Promise<LoadedImage[]>;
  /** checks every ref first (not-found), then gives the function that writes the `docker save` tar */
  exportImages(refs: string[]): Promise<(out: Writable) => Promise<void>>;
  /** a rootfs tarball from a stream or an http(s) URL, made an image with one layer */
  importImage(req: ImageImportRequest): Promise<StoredImage>;
  /** pulls from a registry, reporting Docker's JSON progress messages; without credentials, those of
   *  ~/.docker/config.json for the reference's registry */
  pull(ref: ImageReference, credentials: Credentials | undefined, progress: Progress): Promise<ImagePullResult>;
  /** pushes "repo[:tag]" (`tag` overrides; neither: every tag of the repo) to its registry, with Docker's
   *  JSON progress; without credentials, those of ~/.docker/config.json; rejects not-found when no such tag */
  push(name: string, tag: string | undefined, credentials: Credentials | undefined, progress: Progress): Promise<PushResult[]>;
  /** `name` is "repo[:tag]" as the user wrote it */
  tag(ref: string, name: string): Promise<void>;
  /** untags `ref` or, when it is the image's last name (or an id), deletes the image; refuses (conflict)
   *  an image in use or referenced by several repositories unless forced */
  removeImage(ref: string, force: boolean): Promise<ImageRemoval[]>;
  /** untagged images no container uses (`all`: every unused image), of those with all `labels` */
  pruneImages(opts: { all: boolean; labels: string[] }): Promise<{ removed: ImageRemoval[]; reclaimed: number }>;
}

/** One step of an image removal, in order: a name taken off (familiar form) or an image id deleted. */
export type ImageRemoval = { untagged: string } | { deleted: string };

export interface ImageImportRequest {
  /** the request body, or an http(s) URL to download it from */
  source: Readable | string;
  /** "repo[:tag]" as the user wrote it */
  name?: string;
  message?: string;
  /** Dockerfile instructions applied to the config (CMD, ENV …) */
  changes: string[];
}

export interface ImagePullResult {
  imageId: string;
  name: string;
  digest: string;
  upToDate: boolean;
}

/** Implemented by images/: the classic builder and its cache (api/build-routes.ts). */
export interface ImageBuilding {
  /** keeps secrets, ssh sockets and named contexts for one build; gives the token the build names */
  createBuildSession(body: unknown): string;
  /** consumes a session token now; the function rejects an unknown one once called (after the context arrived) */
  claimBuildSession(token: string | null): () => BuildSession | undefined;
  /** rejects a network a build step cannot join, before any work */
  checkBuildNetwork(network: string): Promise<void>;
  /** builds from a context tarball; tags are canonical names; reports Docker's JSON build messages */
  build(req: BuildRequest, emit: (msg: Record<string, unknown>) => void): Promise<{ imageId: string }>;
  /** empties the build cache; gives the number of entries removed */
  pruneBuildCache(): Promise<number>;
}

export interface BuildRequest {
  context: Readable;
  dockerfile: string;
  tags: string[];
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  target?: string;
  noCache: boolean;
  /** cachefrom: the images whose build steps this build may reuse; undefined reuses any earlier step */
  cacheFrom?: string[];
  network: string;
  extraHosts: string[];
  registryCredentials: (domain: string) => Credentials | undefined;
  session: () => BuildSession | undefined;
}

/** Implemented by network/: the networks themselves (api/network-routes.ts). */
export interface NetworkManagement {
  networks(): Promise<NetworkRecord[]>;
  /** Docker's order: full id, then name, then unique id prefix */
  findNetwork(ref: string): Promise<NetworkRecord | undefined>;
  /** validated by network/: name, driver, addressing (invalid, conflict, forbidden …) */
  createNetwork(req: NetworkCreateRequest): Promise<NetworkRecord>;
  removeNetwork(ref: string): Promise<void>;
  /** removes the user networks no container uses, except those `keep` picks; gives their names */
  prune(keep: (net: NetworkRecord) => boolean): Promise<string[]>;
  endpointsOf(networkId: string): EndpointRecord[];
  containerName(containerId: string): string;
}

/** A new network (api/network-routes.ts makes it from Docker's POST /networks/create body). */
export interface NetworkCreateRequest {
  /** validated by network/: not empty, no slash or control characters */
  name: string;
  /** "bridge" when empty (the only driver the bundled engine has) */
  driver?: string;
  internal?: boolean;
  attachable?: boolean;
  /** needs an IPv6 subnet in `ipamConfig` (there is no IPv6 address pool, as with Docker Engine 20.10) */
  enableIPv6?: boolean;
  labels?: Record<string, string>;
  /** driver options ("com.docker.network.bridge.name", "com.docker.network.driver.mtu" …) */
  options?: Record<string, string>;
  ipamOptions?: Record<string, string>;
  /** the first IPv4 entry is used (without one, a subnet from the address pools), and the first IPv6 one */
  ipamConfig?: IpamConfig[];
  /** refuse a name another network has (Docker allows two networks with one name unless asked) */
  checkDuplicate?: boolean;
}

export interface IpamConfig {
  subnet?: string;
  ipRange?: string;
  gateway?: string;
  auxiliaryAddresses?: Record<string, string>;
}

/** Implemented by volumes/: named volumes (api/volume-routes.ts, api/system-df-route.ts). */
export interface VolumeManagement {
  list(): Promise<VolumeRecord[]>;
  get(name: string): Promise<VolumeRecord | undefined>;
  /** an existing volume of that name is returned as it is */
  create(req: VolumeCreateRequest): Promise<VolumeRecord>;
  /** `force`: a missing volume is no error */
  remove(name: string, force: boolean): Promise<void>;
  /** removes the unused volumes `select` picks; gives their names and the bytes freed */
  prune(select: (v: VolumeRecord) => boolean): Promise<{ names: string[]; bytes: number }>;
  /** the ids of the containers using each volume in use */
  usage(): Promise<Map<string, string[]>>;
  /** every volume with the bytes it holds and how many containers use it */
  usageReport(): Promise<VolumeUsage[]>;
  /** where the volume's content is on the host */
  mountpoint(v: VolumeRecord): string;
}

export interface VolumeCreateRequest {
  /** a random one when empty */
  name?: string;
  driver?: string;
  /** local driver options: type/o/device */
  options?: Record<string, string>;
  labels?: Record<string, string>;
}

export interface VolumeUsage {
  volume: VolumeRecord;
  size: number;
  refCount: number;
}
