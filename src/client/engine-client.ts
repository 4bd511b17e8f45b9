// The seam between the client side (reconcile, watch, the CLI, the API) and an engine: the calls they
// make, and nothing else, typed with the shapes they read. The objects keep the Docker Engine API's field
// names: every engine tscompose drives speaks that API, and the shapes are what `docker inspect` prints.
// Implementations: http-engine-client.ts (JSON calls over node:http, streaming ones handed to the next),
// docker-engine-client.ts (over dockerode: streams, and every call on ssh:// or TLS hosts) and, in the
// tests, an in-memory fake. Every method rejects with an EngineError (src/client/errors.ts) when the
// engine says no, so callers branch on `err.kind`, never on message text.
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';

/** Docker's list filters, e.g. `{ label: ['com.docker.compose.project=demo'] }` (each label must match). */
export type ListFilters = { label?: string[]; type?: string[]; event?: string[]; container?: string[] };

/** One row of GET /containers/json. */
export type ContainerSummary = Pick<
  Docker.ContainerInfo,
  'Id' | 'Names' | 'Image' | 'ImageID' | 'Command' | 'Created' | 'State' | 'Status' | 'Ports' | 'Labels'
>;
/** GET /containers/{id}/json, as Docker documents it (the API hands it to its users unchanged). */
export type ContainerDetails = Docker.ContainerInspectInfo;
/** The body of POST /containers/create, with `name` as Docker's query parameter. */
export type ContainerCreateBody = Docker.ContainerCreateOptions;
export type EndpointSettings = Docker.EndpointSettings;
export type NetworkCreateBody = Docker.NetworkCreateOptions;
export type VolumeCreateBody = Docker.VolumeCreateOptions;

export interface NetworkSummary {
  Id: string;
  Name: string;
  Labels?: Record<string, string>;
}
export interface VolumeSummary {
  Name: string;
  Labels?: Record<string, string> | null;
}
export interface ImageDetails {
  Id: string;
  RepoTags?: string[];
  Size?: number;
}

export interface LogsQuery {
  stdout: boolean;
  stderr: boolean;
  tail?: number;
  /** unix seconds; a string carries a fraction as Docker reads one: "<seconds>.<nine digits of nanoseconds>" */
  since?: number | string;
  until?: number;
  timestamps?: boolean;
}

export interface ExecCreateBody {
  Cmd: string[];
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  Env?: string[];
  User?: string;
  WorkingDir?: string;
  Privileged?: boolean;
}

/** An exec instance: started once, then inspected for its exit code. */
export interface ExecSession {
  /** hijacks the connection: the duplex carries stdin in and (framed unless `tty`) output out */
  start(opts: { stdin: boolean; tty: boolean }): Promise<Duplex>;
  /** starts it without attaching (exec -d) */
  startDetached(): Promise<void>;
  /** sets the size of its terminal (an exec created with Tty) */
  resize(height: number, width: number): Promise<void>;
  inspect(): Promise<{ Running: boolean; ExitCode: number | null }>;
}

/** Docker's X-Docker-Container-Path-Stat (HEAD /containers/{id}/archive). */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime?: string;
  linkTarget?: string;
}

/** What a build asks of the engine (POST /build's query), in our words. */
export interface BuildRequest {
  tags: string[];
  dockerfile: string;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  target?: string;
  noCache?: boolean;
  pull?: boolean;
  networkMode?: string;
  shmSize?: number;
  /** "name:ip", one per entry */
  extraHosts?: string[];
  /** a build session opened with openBuildSession (secrets, ssh, named contexts) */
  session?: string;
}

/** Secrets (base64, by id), SSH agent sockets (by id) and named contexts for one build. */
export interface BuildSessionPayload {
  secrets: Record<string, string>;
  ssh: Record<string, string>;
  /** named contexts: an absolute directory, or docker-image://ref */
  contexts?: Record<string, string>;
}

/** A line of pull or build progress, as the engine words it ("Step 2/5 : RUN …", "abc123: Downloading"). */
export type ProgressLine = (text: string) => void;

export interface EngineClient {
  ping(): Promise<void>;

  listContainers(query: { all?: boolean; filters?: ListFilters }): Promise<ContainerSummary[]>;
  inspectContainer(id: string): Promise<ContainerDetails>;
  createContainer(body: ContainerCreateBody): Promise<{ id: string }>;
  startContainer(id: string): Promise<void>;
  /** `timeoutSeconds` before SIGKILL; the container's own stop timeout when undefined */
  stopContainer(id: string, timeoutSeconds?: number): Promise<void>;
  restartContainer(id: string, timeoutSeconds?: number): Promise<void>;
  killContainer(id: string, signal: string): Promise<void>;
  pauseContainer(id: string): Promise<void>;
  unpauseContainer(id: string): Promise<void>;
  removeContainer(id: string, opts: { force?: boolean; volumes?: boolean }): Promise<void>;
  /** resolves when the container stops */
  waitContainer(id: string): Promise<{ StatusCode: number }>;
  topContainer(id: string): Promise<{ Titles: string[]; Processes: string[][] }>;
  /** the logs so far, framed unless the container has a TTY */
  containerLogs(id: string, query: LogsQuery): Promise<Buffer>;
  /** the logs, then new lines as they come, until the container stops or the stream is destroyed */
  followContainerLogs(id: string, query: LogsQuery): Promise<NodeJS.ReadableStream>;
  attachContainer(id: string, opts: { stdin: boolean }): Promise<Duplex>;
  /** sets the size of a running container's terminal (one created with Tty) */
  resizeContainer(id: string, height: number, width: number): Promise<void>;
  createExec(id: string, body: ExecCreateBody): Promise<ExecSession>;
  /** a tar of `path` in the container */
  getArchive(id: string, path: string): Promise<NodeJS.ReadableStream>;
  statPath(id: string, path: string): Promise<PathStat>;
  /** extracts a tar into the directory `path` of the container */
  putArchive(id: string, tar: NodeJS.ReadableStream, path: string): Promise<void>;
  /** splits a framed (non-TTY) attach/exec stream onto two writables */
  demuxStream(stream: NodeJS.ReadableStream, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void;

  listNetworks(filters: ListFilters): Promise<NetworkSummary[]>;
  inspectNetwork(idOrName: string): Promise<NetworkSummary>;
  createNetwork(body: NetworkCreateBody): Promise<{ id: string }>;
  removeNetwork(idOrName: string): Promise<void>;
  connectNetwork(network: string, containerId: string, endpoint?: EndpointSettings): Promise<void>;

  listVolumes(filters: ListFilters): Promise<VolumeSummary[]>;
  inspectVolume(name: string): Promise<VolumeSummary>;
  createVolume(body: VolumeCreateBody): Promise<void>;
  removeVolume(name: string): Promise<void>;

  inspectImage(ref: string): Promise<ImageDetails>;
  removeImage(ref: string): Promise<void>;
  /** resolves when the pull has finished; a failure reported in the progress stream rejects */
  pullImage(ref: string, onProgress: ProgressLine): Promise<void>;
  /** pushes "repo:tag" to its registry (credentials: ~/.docker/config.json, as the docker CLI sends them);
   *  resolves with the manifest digest the registry stored; a failure in the progress stream rejects */
  pushImage(ref: string, onProgress: ProgressLine): Promise<{ digest: string }>;
  /** `context` is the build context as a tar stream */
  buildImage(context: NodeJS.ReadableStream, request: BuildRequest, onProgress: ProgressLine): Promise<void>;
  /** hands build secrets to the engine; the token names them in BuildRequest.session. Engines without
   *  build sessions (Docker Engine) reject with kind "not-found". */
  openBuildSession(payload: BuildSessionPayload): Promise<string>;

  /** the engine's event stream (newline-separated JSON), until destroyed */
  events(filters: ListFilters): Promise<NodeJS.ReadableStream>;
}
