// An in-memory engine behind the EngineClient interface, for unit tests of the apply step: it keeps
// containers, networks, volumes and images, answers like Docker does (304 for a start of a running
// container, 409 for a name in use, 404 for what is not there, as EngineErrors of those kinds), and records
// every mutating call in order so tests can check what was done and in which order.
// It does not run anything: a started container is "running" until stopped, killed or told to exit.
import { PassThrough, type Duplex } from 'node:stream';
import { EngineError } from '../../src/client/errors.js';
import type {
  BuildRequest,
  BuildSessionPayload,
  ContainerCreateBody,
  ContainerDetails,
  ContainerSummary,
  EndpointSettings,
  EngineClient,
  ExecCreateBody,
  ExecSession,
  ImageDetails,
  ListFilters,
  LogsQuery,
  NetworkCreateBody,
  NetworkSummary,
  PathStat,
  ProgressLine,
  VolumeCreateBody,
  VolumeSummary,
} from '../../src/client/engine-client.js';

export interface FakeContainer {
  id: string;
  name: string;
  body: ContainerCreateBody;
  imageId: string;
  state: 'created' | 'running' | 'paused' | 'exited';
  exitCode: number;
  health?: 'starting' | 'healthy' | 'unhealthy';
  networks: Set<string>;
}

type Method = keyof EngineClient;

/** Which call fails, and with what: `match` is the call's first argument (an id, name or ref), or a container's name. */
interface Failure {
  method: Method;
  match?: string;
  error: Error;
  times: number;
}

export class FakeEngineClient implements EngineClient {
  readonly containers = new Map<string, FakeContainer>();
  readonly networks = new Map<string, NetworkSummary>();
  readonly volumes = new Map<string, VolumeSummary>();
  readonly images = new Map<string, ImageDetails>();
  /** every call that changes something, as "verb target", in the order they were made */
  readonly calls: string[] = [];
  /** runs inside buildImage, e.g. to make one build slow; the built image is tagged afterwards */
  onBuild?: (request: BuildRequest) => Promise<void>;
  readonly buildSessions: BuildSessionPayload[] = [];
  private failures: Failure[] = [];
  private nextId = 1;

  /** An image the engine already has, under its references. */
  addImage(...refs: string[]): string {
    const id = `sha256:${String(this.nextId++).padStart(64, '0')}`;
    for (const ref of refs) this.images.set(ref, { Id: id, RepoTags: [ref.includes(':') ? ref : `${ref}:latest`], Size: 1 });
    return id;
  }

  /** Makes the next `times` calls of `method` (on `match`, when given) reject with `error`. */
  failNext(method: Method, error: Error, opts: { match?: string; times?: number } = {}): void {
    this.failures.push({ method, match: opts.match, error, times: opts.times ?? 1 });
  }

  /** The container named `name` (without the slash), or undefined. */
  byName(name: string): FakeContainer | undefined {
    return [...this.containers.values()].find((c) => c.name === name);
  }

  /** Lets a running container exit on its own, e.g. a one-shot job or a crash. */
  exit(name: string, code: number): void {
    const c = this.byName(name);
    if (!c) throw new Error(`no container ${name}`);
    c.state = 'exited';
    c.exitCode = code;
  }

  private maybeFail(method: Method, ...targets: (string | undefined)[]): void {
    const i = this.failures.findIndex((f) => f.method === method && (f.match === undefined || targets.includes(f.match)));
    if (i < 0) return;
    const f = this.failures[i]!;
    if (--f.times === 0) this.failures.splice(i, 1);
    throw f.error;
  }

  private container(idOrName: string): FakeContainer {
    const c = this.containers.get(idOrName) ?? this.byName(idOrName.replace(/^\//, ''));
    if (!c) throw new EngineError('not-found', `No such container: ${idOrName}`, 404);
    return c;
  }

  private record(verb: string, target: string): void {
    this.calls.push(`${verb} ${target}`);
  }

  async ping(): Promise<void> {
    this.maybeFail('ping');
  }

  async listContainers(query: { all?: boolean; filters?: ListFilters }): Promise<ContainerSummary[]> {
    this.maybeFail('listContainers');
    return [...this.containers.values()]
      .filter((c) => (query.all || c.state === 'running') && labelsMatch(c.body.Labels ?? {}, query.filters))
      .map((c) => ({
        Id: c.id,
        Names: [`/${c.name}`],
        Image: c.body.Image ?? '',
        ImageID: c.imageId,
        Command: (c.body.Cmd ?? []).join(' '),
        Created: 0,
        State: c.state,
        Status: c.state === 'running' ? `Up${c.health ? ` (${c.health})` : ''}` : `Exited (${c.exitCode})`,
        Ports: [],
        Labels: { ...(c.body.Labels ?? {}) },
      }));
  }

  async inspectContainer(id: string): Promise<ContainerDetails> {
    const c = this.container(id);
    this.maybeFail('inspectContainer', id, c.name);
    // only the fields the client side reads; the rest of Docker's answer is not modelled
    return {
      Id: c.id,
      Name: `/${c.name}`,
      Image: c.imageId,
      State: {
        Status: c.state,
        Running: c.state === 'running' || c.state === 'paused',
        Paused: c.state === 'paused',
        ExitCode: c.exitCode,
        ...(c.health ? { Health: { Status: c.health, FailingStreak: 0, Log: [] } } : {}),
      },
      Config: {
        Labels: { ...(c.body.Labels ?? {}) },
        Healthcheck: c.body.Healthcheck,
        Volumes: c.body.Volumes ?? {},
        Tty: !!c.body.Tty,
        Image: c.body.Image,
      },
      HostConfig: { ...(c.body.HostConfig ?? {}) },
      Mounts: [],
      NetworkSettings: { Networks: Object.fromEntries([...c.networks].map((n) => [n, { IPAddress: '10.0.0.2' }])), Ports: {} },
    } as unknown as ContainerDetails;
  }

  async createContainer(body: ContainerCreateBody): Promise<{ id: string }> {
    const name = body.name ?? `c${this.nextId}`;
    this.maybeFail('createContainer', name);
    if (this.byName(name)) throw new EngineError('conflict', `Conflict. The container name "/${name}" is already in use`, 409);
    const image = this.images.get(body.Image ?? '');
    if (!image) throw new EngineError('not-found', `No such image: ${body.Image}`, 404);
    const primary = body.HostConfig?.NetworkMode;
    if (primary && !['bridge', 'host', 'none', 'default'].includes(primary) && !primary.includes(':') && !this.networks.has(primary)) {
      throw new EngineError('not-found', `network ${primary} not found`, 404);
    }
    const id = `${name}-id${this.nextId++}`;
    const networks = new Set<string>(primary && !primary.includes(':') ? [primary] : []);
    this.containers.set(id, { id, name, body, imageId: image.Id, state: 'created', exitCode: 0, networks });
    this.record('create', name);
    return { id };
  }

  async startContainer(id: string): Promise<void> {
    const c = this.container(id);
    this.maybeFail('startContainer', id, c.name);
    if (c.state === 'running') throw new EngineError('not-modified', 'container already started', 304);
    c.state = 'running';
    c.exitCode = 0;
    if (c.body.Healthcheck?.Test?.length && c.body.Healthcheck.Test[0] !== 'NONE') c.health = 'healthy';
    this.record('start', c.name);
  }

  async stopContainer(id: string, timeoutSeconds?: number): Promise<void> {
    const c = this.container(id);
    this.maybeFail('stopContainer', id, c.name);
    if (c.state !== 'running' && c.state !== 'paused') throw new EngineError('not-modified', 'container already stopped', 304);
    c.state = 'exited';
    c.exitCode = 137;
    this.record(timeoutSeconds === undefined ? 'stop' : `stop(t=${timeoutSeconds})`, c.name);
  }

  async restartContainer(id: string): Promise<void> {
    const c = this.container(id);
    this.maybeFail('restartContainer', id, c.name);
    c.state = 'running';
    this.record('restart', c.name);
  }

  async killContainer(id: string, signal: string): Promise<void> {
    const c = this.container(id);
    this.maybeFail('killContainer', id, c.name);
    if (c.state !== 'running') throw new EngineError('conflict', `Container ${id} is not running`, 409);
    c.state = 'exited';
    c.exitCode = 137;
    this.record(`kill(${signal})`, c.name);
  }

  async pauseContainer(id: string): Promise<void> {
    const c = this.container(id);
    this.maybeFail('pauseContainer', id, c.name);
    c.state = 'paused';
    this.record('pause', c.name);
  }

  async unpauseContainer(id: string): Promise<void> {
    const c = this.container(id);
    this.maybeFail('unpauseContainer', id, c.name);
    c.state = 'running';
    this.record('unpause', c.name);
  }

  async removeContainer(id: string, opts: { force?: boolean; volumes?: boolean }): Promise<void> {
    const c = this.container(id);
    this.maybeFail('removeContainer', id, c.name);
    if (c.state === 'running' && !opts.force) throw new EngineError('conflict', `You cannot remove a running container ${id}`, 409);
    this.containers.delete(c.id);
    this.record(opts.volumes ? 'remove(v)' : 'remove', c.name);
  }

  async waitContainer(id: string): Promise<{ StatusCode: number }> {
    const c = this.container(id);
    this.maybeFail('waitContainer', id, c.name);
    return { StatusCode: c.exitCode };
  }

  async topContainer(id: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    this.container(id);
    return { Titles: ['PID', 'CMD'], Processes: [] };
  }

  async containerLogs(id: string, _query: LogsQuery): Promise<Buffer> {
    this.container(id);
    return Buffer.alloc(0);
  }

  async followContainerLogs(id: string, _query: LogsQuery): Promise<NodeJS.ReadableStream> {
    this.container(id);
    const s = new PassThrough();
    s.end();
    return s;
  }

  async attachContainer(id: string): Promise<Duplex> {
    this.container(id);
    return new PassThrough();
  }

  async resizeContainer(id: string): Promise<void> {
    this.container(id);
  }

  async createExec(id: string, body: ExecCreateBody): Promise<ExecSession> {
    const c = this.container(id);
    this.maybeFail('createExec', id, c.name);
    if (c.state !== 'running') throw new EngineError('conflict', `Container ${id} is not running`, 409);
    this.record(`exec(${body.Cmd.join(' ')})`, c.name);
    return {
      start: async () => {
        const s = new PassThrough();
        s.end();
        return s;
      },
      startDetached: async () => {},
      resize: async () => {},
      inspect: async () => ({ Running: false, ExitCode: 0 }),
    };
  }

  async getArchive(id: string): Promise<NodeJS.ReadableStream> {
    this.container(id);
    const s = new PassThrough();
    s.end();
    return s;
  }

  async statPath(id: string, path: string): Promise<PathStat> {
    this.container(id);
    throw new EngineError('not-found', `Could not find the file ${path} in container ${id}`, 404);
  }

  async putArchive(id: string, tar: NodeJS.ReadableStream): Promise<void> {
    const c = this.container(id);
    (tar as unknown as { resume?: () => void }).resume?.();
    this.record('put-archive', c.name);
  }

  demuxStream(stream: NodeJS.ReadableStream, stdout: NodeJS.WritableStream): void {
    stream.pipe(stdout);
  }

  async listNetworks(filters: ListFilters): Promise<NetworkSummary[]> {
    this.maybeFail('listNetworks');
    return [...this.networks.values()].filter((n) => labelsMatch(n.Labels ?? {}, filters));
  }

  async inspectNetwork(idOrName: string): Promise<NetworkSummary> {
    const n = this.network(idOrName);
    return { ...n };
  }

  private network(idOrName: string): NetworkSummary {
    const n = this.networks.get(idOrName) ?? [...this.networks.values()].find((x) => x.Id === idOrName);
    if (!n) throw new EngineError('not-found', `network ${idOrName} not found`, 404);
    return n;
  }

  async createNetwork(body: NetworkCreateBody): Promise<{ id: string }> {
    this.maybeFail('createNetwork', body.Name);
    if (this.networks.has(body.Name)) throw new EngineError('conflict', `network with name ${body.Name} already exists`, 409);
    const id = `net${this.nextId++}`;
    this.networks.set(body.Name, { Id: id, Name: body.Name, Labels: { ...(body.Labels ?? {}) } });
    this.record('create-network', body.Name);
    return { id };
  }

  async removeNetwork(idOrName: string): Promise<void> {
    const n = this.network(idOrName);
    this.maybeFail('removeNetwork', n.Name);
    const users = [...this.containers.values()].filter((c) => c.networks.has(n.Name));
    if (users.length) throw new EngineError('conflict', `error while removing network: network ${n.Name} has active endpoints`, 409);
    this.networks.delete(n.Name);
    this.record('remove-network', n.Name);
  }

  async connectNetwork(network: string, containerId: string, _endpoint?: EndpointSettings): Promise<void> {
    const n = this.network(network);
    const c = this.container(containerId);
    this.maybeFail('connectNetwork', n.Name, c.name);
    c.networks.add(n.Name);
    this.record(`connect(${n.Name})`, c.name);
  }

  async listVolumes(filters: ListFilters): Promise<VolumeSummary[]> {
    return [...this.volumes.values()].filter((v) => labelsMatch(v.Labels ?? {}, filters));
  }

  async inspectVolume(name: string): Promise<VolumeSummary> {
    const v = this.volumes.get(name);
    if (!v) throw new EngineError('not-found', `get ${name}: no such volume`, 404);
    return v;
  }

  async createVolume(body: VolumeCreateBody): Promise<void> {
    const name = body.Name ?? `vol${this.nextId++}`; // Docker names an unnamed volume itself
    this.maybeFail('createVolume', name);
    this.volumes.set(name, { Name: name, Labels: { ...(body.Labels ?? {}) } });
    this.record('create-volume', name);
  }

  async removeVolume(name: string): Promise<void> {
    await this.inspectVolume(name);
    this.maybeFail('removeVolume', name);
    this.volumes.delete(name);
    this.record('remove-volume', name);
  }

  async inspectImage(ref: string): Promise<ImageDetails> {
    const image = this.images.get(ref) ?? [...this.images.values()].find((i) => i.Id === ref);
    if (!image) throw new EngineError('not-found', `No such image: ${ref}`, 404);
    return image;
  }

  async removeImage(ref: string): Promise<void> {
    await this.inspectImage(ref);
    this.maybeFail('removeImage', ref);
    for (const [k, v] of this.images) if (k === ref || v.Id === ref) this.images.delete(k);
    this.record('remove-image', ref);
  }

  async pullImage(ref: string, onProgress: ProgressLine): Promise<void> {
    this.maybeFail('pullImage', ref);
    onProgress(`${ref}: Pulling`);
    this.addImage(ref);
    this.record('pull', ref);
  }

  async pushImage(ref: string, onProgress: ProgressLine): Promise<{ digest: string }> {
    await this.inspectImage(ref);
    this.maybeFail('pushImage', ref);
    onProgress(`${ref}: Pushed`);
    this.record('push', ref);
    return { digest: `sha256:${'0'.repeat(64)}` };
  }

  async buildImage(context: NodeJS.ReadableStream, request: BuildRequest, onProgress: ProgressLine): Promise<void> {
    (context as unknown as { destroy?: () => void }).destroy?.();
    this.record('build-start', request.tags[0] ?? '');
    this.maybeFail('buildImage', request.tags[0]);
    await this.onBuild?.(request);
    onProgress(`Successfully built ${request.tags[0]}`);
    this.addImage(...request.tags);
    this.record('build-end', request.tags[0] ?? '');
  }

  async openBuildSession(payload: BuildSessionPayload): Promise<string> {
    this.maybeFail('openBuildSession');
    this.buildSessions.push(payload);
    return `session${this.buildSessions.length}`;
  }

  async events(): Promise<NodeJS.ReadableStream> {
    const s = new PassThrough();
    s.end();
    return s;
  }
}

/** Docker's label filter: every `key` or `key=value` entry must match. */
function labelsMatch(labels: Record<string, string>, filters: ListFilters | undefined): boolean {
  return (filters?.label ?? []).every((f) => {
    const eq = f.indexOf('=');
    return eq < 0 ? f in labels : labels[f.slice(0, eq)] === f.slice(eq + 1);
  });
}
