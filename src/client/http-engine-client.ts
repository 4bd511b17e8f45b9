// The EngineClient for an engine on a unix socket or plain tcp://: the calls with a JSON answer (what
// `ps`, `up` and `down` make) go straight over node:http; the streaming and hijacked ones (attach, exec,
// logs, archives, pull, push, build, events) go to a dockerode-based client that is loaded on the first
// such call. Paths and query parameters are those dockerode sends, so both engines read them alike.
import type { Duplex } from 'node:stream';
import type { EngineEndpoint } from './engine-endpoint.js';
import { engineRequest, pathPart, type EngineRequest } from './engine-http.js';
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
} from './engine-client.js';

export class HttpEngineClient implements EngineClient {
  private streaming?: Promise<EngineClient>;
  /** the streaming client once loaded: demuxStream is synchronous */
  private loadedStreaming?: EngineClient;

  constructor(
    private readonly endpoint: EngineEndpoint,
    /** loads the client the streaming calls go to (dockerode's), called at most once */
    private readonly loadStreaming: () => Promise<EngineClient>,
  ) {}

  private request<T>(req: EngineRequest): Promise<T> {
    return engineRequest(this.endpoint, req) as Promise<T>;
  }

  private async send(req: EngineRequest): Promise<void> {
    await engineRequest(this.endpoint, req);
  }

  private delegate(): Promise<EngineClient> {
    this.streaming ??= this.loadStreaming().then((client) => (this.loadedStreaming = client));
    return this.streaming;
  }

  ping(): Promise<void> {
    return this.send({ method: 'GET', path: '/_ping' });
  }

  listContainers(query: { all?: boolean; filters?: ListFilters }): Promise<ContainerSummary[]> {
    return this.request({ method: 'GET', path: '/containers/json', query: { all: query.all, filters: query.filters } });
  }

  inspectContainer(id: string): Promise<ContainerDetails> {
    return this.request({ method: 'GET', path: `/containers/${pathPart(id)}/json` });
  }

  async createContainer(body: ContainerCreateBody): Promise<{ id: string }> {
    // the name (and platform) are query parameters; Docker reads the rest from the body
    const { name, platform, ...config } = body as ContainerCreateBody & { platform?: string };
    const res = await this.request<{ Id: string }>({ method: 'POST', path: '/containers/create', query: { name, platform }, body: config });
    return { id: res.Id };
  }

  startContainer(id: string): Promise<void> {
    return this.send({ method: 'POST', path: `/containers/${pathPart(id)}/start` });
  }

  stopContainer(id: string, timeoutSeconds?: number): Promise<void> {
    return this.send({ method: 'POST', path: `/containers/${pathPart(id)}/stop`, query: { t: timeoutSeconds } });
  }

  restartContainer(id: string, timeoutSeconds?: number): Promise<void> {
    return this.send({ method: 'POST', path: `/containers/${pathPart(id)}/restart`, query: { t: timeoutSeconds } });
  }

  killContainer(id: string, signal: string): Promise<void> {
    return this.send({ method: 'POST', path: `/containers/${pathPart(id)}/kill`, query: { signal } });
  }

  pauseContainer(id: string): Promise<void> {
    return this.send({ method: 'POST', path: `/containers/${pathPart(id)}/pause` });
  }

  unpauseContainer(id: string): Promise<void> {
    return this.send({ method: 'POST', path: `/containers/${pathPart(id)}/unpause` });
  }

  removeContainer(id: string, opts: { force?: boolean; volumes?: boolean }): Promise<void> {
    return this.send({
      method: 'DELETE',
      path: `/containers/${pathPart(id)}`,
      query: { force: opts.force ?? false, v: opts.volumes ?? false },
    });
  }

  waitContainer(id: string): Promise<{ StatusCode: number }> {
    return this.request({ method: 'POST', path: `/containers/${pathPart(id)}/wait` });
  }

  topContainer(id: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    return this.request({ method: 'GET', path: `/containers/${pathPart(id)}/top` });
  }

  resizeContainer(id: string, height: number, width: number): Promise<void> {
    return this.send({ method: 'POST', path: `/containers/${pathPart(id)}/resize`, query: { h: height, w: width } });
  }

  async containerLogs(id: string, query: LogsQuery): Promise<Buffer> {
    return (await this.delegate()).containerLogs(id, query);
  }

  async followContainerLogs(id: string, query: LogsQuery): Promise<NodeJS.ReadableStream> {
    return (await this.delegate()).followContainerLogs(id, query);
  }

  async attachContainer(id: string, opts: { stdin: boolean }): Promise<Duplex> {
    return (await this.delegate()).attachContainer(id, opts);
  }

  async createExec(id: string, body: ExecCreateBody): Promise<ExecSession> {
    return (await this.delegate()).createExec(id, body);
  }

  async getArchive(id: string, path: string): Promise<NodeJS.ReadableStream> {
    return (await this.delegate()).getArchive(id, path);
  }

  async statPath(id: string, path: string): Promise<PathStat> {
    return (await this.delegate()).statPath(id, path);
  }

  async putArchive(id: string, tar: NodeJS.ReadableStream, path: string): Promise<void> {
    return (await this.delegate()).putArchive(id, tar, path);
  }

  /** The framed streams come from attach, exec and logs, which loaded the streaming client. */
  demuxStream(stream: NodeJS.ReadableStream, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void {
    if (!this.loadedStreaming) throw new Error('demuxStream: no engine stream has been opened through this client');
    this.loadedStreaming.demuxStream(stream, stdout, stderr);
  }

  listNetworks(filters: ListFilters): Promise<NetworkSummary[]> {
    return this.request({ method: 'GET', path: '/networks', query: { filters } });
  }

  inspectNetwork(idOrName: string): Promise<NetworkSummary> {
    return this.request({ method: 'GET', path: `/networks/${pathPart(idOrName)}` });
  }

  async createNetwork(body: NetworkCreateBody): Promise<{ id: string }> {
    return { id: (await this.request<{ Id: string }>({ method: 'POST', path: '/networks/create', body })).Id };
  }

  removeNetwork(idOrName: string): Promise<void> {
    return this.send({ method: 'DELETE', path: `/networks/${pathPart(idOrName)}` });
  }

  connectNetwork(network: string, containerId: string, endpoint?: EndpointSettings): Promise<void> {
    return this.send({
      method: 'POST',
      path: `/networks/${pathPart(network)}/connect`,
      body: { Container: containerId, EndpointConfig: endpoint },
    });
  }

  async listVolumes(filters: ListFilters): Promise<VolumeSummary[]> {
    return (
      (await this.request<{ Volumes?: VolumeSummary[] | null }>({ method: 'GET', path: '/volumes', query: { filters } })).Volumes ?? []
    );
  }

  inspectVolume(name: string): Promise<VolumeSummary> {
    return this.request({ method: 'GET', path: `/volumes/${pathPart(name)}` });
  }

  createVolume(body: VolumeCreateBody): Promise<void> {
    return this.send({ method: 'POST', path: '/volumes/create', body });
  }

  removeVolume(name: string): Promise<void> {
    return this.send({ method: 'DELETE', path: `/volumes/${pathPart(name)}` });
  }

  inspectImage(ref: string): Promise<ImageDetails> {
    return this.request({ method: 'GET', path: `/images/${pathPart(ref)}/json` });
  }

  removeImage(ref: string): Promise<void> {
    return this.send({ method: 'DELETE', path: `/images/${pathPart(ref)}` });
  }

  async pullImage(ref: string, onProgress: ProgressLine): Promise<void> {
    return (await this.delegate()).pullImage(ref, onProgress);
  }

  async pushImage(ref: string, onProgress: ProgressLine): Promise<{ digest: string }> {
    return (await this.delegate()).pushImage(ref, onProgress);
  }

  async buildImage(context: NodeJS.ReadableStream, request: BuildRequest, onProgress: ProgressLine): Promise<void> {
    return (await this.delegate()).buildImage(context, request, onProgress);
  }

  async openBuildSession(payload: BuildSessionPayload): Promise<string> {
    return (await this.delegate()).openBuildSession(payload);
  }

  async events(filters: ListFilters): Promise<NodeJS.ReadableStream> {
    return (await this.delegate()).events(filters);
  }
}
