// The EngineClient over dockerode: the bundled engine and Docker Engine both answer the Docker Engine API
// on a socket. This is the one place dockerode's errors are read: each call's rejection goes through
// toEngineError, so callers see an EngineError with a kind.
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { EngineError, toEngineError } from './errors.js';
import { authConfigFor } from '../registry/credentials.js';
import { parseReference } from '../registry/reference.js';
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

/** Runs one engine call; its failure comes out as an EngineError. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toEngineError(err);
  }
}

interface ProgressEvent {
  stream?: string;
  status?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Digest?: string };
}

/** Waits for a pull or build progress stream to end; a failure reported inside the stream rejects. */
function followProgress(docker: Docker, stream: NodeJS.ReadableStream, onLine: ProgressLine): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: ProgressEvent[]) => {
        if (err) return reject(toEngineError(err));
        const failed = output.find((o) => o.error || o.errorDetail);
        if (failed) return reject(new EngineError('internal', failed.errorDetail?.message ?? failed.error ?? 'failed'));
        resolve(output);
      },
      (event: ProgressEvent) => {
        const text = (event.stream ?? (event.status ? `${event.id ? `${event.id}: ` : ''}${event.status}` : '')).trimEnd();
        if (text) onLine(text);
      },
    );
  });
}

/** POST /build's query parameters, as the docker CLI sends them. */
function buildQuery(r: BuildRequest): Docker.ImageBuildOptions {
  return {
    t: r.tags,
    dockerfile: r.dockerfile,
    buildargs: r.buildArgs,
    ...(r.target ? { target: r.target } : {}),
    labels: r.labels,
    ...(r.noCache ? { nocache: true } : {}),
    ...(r.pull ? { pull: 'true' } : {}),
    ...(r.networkMode ? { networkmode: r.networkMode } : {}),
    ...(r.shmSize ? { shmsize: r.shmSize } : {}),
    // one `extrahosts` parameter per entry (Docker takes each as one "name:ip")
    ...(r.extraHosts?.length ? { extrahosts: r.extraHosts } : {}),
    rm: true,
    forcerm: true,
    ...(r.session ? { tscsession: r.session } : {}),
  } as unknown as Docker.ImageBuildOptions;
}

function execSession(exec: Docker.Exec): ExecSession {
  return {
    start: ({ stdin, tty }) => call(async () => (await exec.start({ hijack: true, stdin, Tty: tty })) as unknown as Duplex),
    startDetached: () =>
      call(async () => {
        await exec.start({ Detach: true });
      }),
    resize: (height, width) =>
      call(async () => {
        await exec.resize({ h: height, w: width });
      }),
    inspect: () =>
      call(async () => {
        const info = await exec.inspect();
        return { Running: info.Running, ExitCode: info.ExitCode };
      }),
  };
}

export class DockerEngineClient implements EngineClient {
  /** `docker`: a dockerode client for the engine's socket (or DOCKER_HOST) */
  constructor(readonly docker: Docker) {}

  ping(): Promise<void> {
    return call(async () => {
      await this.docker.ping();
    });
  }

  listContainers(query: { all?: boolean; filters?: ListFilters }): Promise<ContainerSummary[]> {
    return call(() => this.docker.listContainers({ all: query.all, ...(query.filters ? { filters: query.filters } : {}) }));
  }

  inspectContainer(id: string): Promise<ContainerDetails> {
    return call(() => this.docker.getContainer(id).inspect());
  }

  createContainer(body: ContainerCreateBody): Promise<{ id: string }> {
    return call(async () => ({ id: (await this.docker.createContainer(body)).id }));
  }

  startContainer(id: string): Promise<void> {
    return call(async () => {
      await this.docker.getContainer(id).start();
    });
  }

  stopContainer(id: string, timeoutSeconds?: number): Promise<void> {
    return call(async () => {
      await this.docker.getContainer(id).stop(timeoutSeconds === undefined ? {} : { t: timeoutSeconds });
    });
  }

  restartContainer(id: string, timeoutSeconds?: number): Promise<void> {
    return call(async () => {
      await this.docker.getContainer(id).restart(timeoutSeconds === undefined ? {} : { t: timeoutSeconds });
    });
  }

  killContainer(id: string, signal: string): Promise<void> {
    return call(async () => {
      await this.docker.getContainer(id).kill({ signal });
    });
  }
  pauseContainer(id: string): Promise<void> {
    return call(async () => {
      await this.docker.getContainer(id).pause();
    });
  }
  unpauseContainer(id: string): Promise<void> {
    return call(async () => {
      await this.docker.getContainer(id).unpause();
    });
  }

  removeContainer(id: string, opts: { force?: boolean; volumes?: boolean }): Promise<void> {
    return call(async () => {
      await this.docker.getContainer(id).remove({ force: opts.force ?? false, v: opts.volumes ?? false });
    });
  }

  waitContainer(id: string): Promise<{ StatusCode: number }> {
    return call(async () => (await this.docker.getContainer(id).wait()) as { StatusCode: number });
  }

  topContainer(id: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    return call(async () => (await this.docker.getContainer(id).top()) as { Titles: string[]; Processes: string[][] });
  }

  containerLogs(id: string, query: LogsQuery): Promise<Buffer> {
    return call(async () => {
      const out: unknown = await this.docker.getContainer(id).logs({ ...query, follow: false });
      return Buffer.isBuffer(out) ? out : Buffer.from(String(out));
    });
  }

  followContainerLogs(id: string, query: LogsQuery): Promise<NodeJS.ReadableStream> {
    return call(() => this.docker.getContainer(id).logs({ ...query, follow: true }));
  }

  attachContainer(id: string, opts: { stdin: boolean }): Promise<Duplex> {
    return call(
      async () =>
        (await this.docker
          .getContainer(id)
          .attach({ stream: true, stdout: true, stderr: true, stdin: opts.stdin, hijack: true })) as unknown as Duplex,
    );
  }

  resizeContainer(id: string, height: number, width: number): Promise<void> {
    return call(async () => {
      await this.docker.getContainer(id).resize({ h: height, w: width });
    });
  }

  createExec(id: string, body: ExecCreateBody): Promise<ExecSession> {
    return call(async () => execSession(await this.docker.getContainer(id).exec(body)));
  }

  getArchive(id: string, path: string): Promise<NodeJS.ReadableStream> {
    return call(() => this.docker.getContainer(id).getArchive({ path }));
  }

  statPath(id: string, path: string): Promise<PathStat> {
    return call(async () => {
      const res = (await this.docker.getContainer(id).infoArchive({ path })) as { headers?: Record<string, string> };
      const header = res?.headers?.['x-docker-container-path-stat'];
      if (!header) throw new EngineError('internal', `the engine gave no stat for ${path}`);
      return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
    });
  }

  putArchive(id: string, tar: NodeJS.ReadableStream, path: string): Promise<void> {
    return call(async () => {
      await this.docker.getContainer(id).putArchive(tar, { path });
    });
  }

  demuxStream(stream: NodeJS.ReadableStream, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void {
    this.docker.modem.demuxStream(stream, stdout, stderr);
  }

  listNetworks(filters: ListFilters): Promise<NetworkSummary[]> {
    return call(() => this.docker.listNetworks({ filters }));
  }
  inspectNetwork(idOrName: string): Promise<NetworkSummary> {
    return call(() => this.docker.getNetwork(idOrName).inspect());
  }

  createNetwork(body: NetworkCreateBody): Promise<{ id: string }> {
    return call(async () => ({ id: (await this.docker.createNetwork(body)).id }));
  }

  removeNetwork(idOrName: string): Promise<void> {
    return call(async () => {
      await this.docker.getNetwork(idOrName).remove();
    });
  }

  connectNetwork(network: string, containerId: string, endpoint?: EndpointSettings): Promise<void> {
    return call(async () => {
      await this.docker.getNetwork(network).connect({ Container: containerId, EndpointConfig: endpoint });
    });
  }

  listVolumes(filters: ListFilters): Promise<VolumeSummary[]> {
    return call(async () => (await this.docker.listVolumes({ filters })).Volumes ?? []);
  }

  inspectVolume(name: string): Promise<VolumeSummary> {
    return call(() => this.docker.getVolume(name).inspect());
  }
  createVolume(body: VolumeCreateBody): Promise<void> {
    return call(async () => {
      await this.docker.createVolume(body);
    });
  }
  removeVolume(name: string): Promise<void> {
    return call(async () => {
      await this.docker.getVolume(name).remove();
    });
  }

  inspectImage(ref: string): Promise<ImageDetails> {
    return call(() => this.docker.getImage(ref).inspect());
  }
  removeImage(ref: string): Promise<void> {
    return call(async () => {
      await this.docker.getImage(ref).remove();
    });
  }

  pullImage(ref: string, onProgress: ProgressLine): Promise<void> {
    return call(async () => {
      await followProgress(this.docker, await this.docker.pull(ref), onProgress);
    });
  }

  pushImage(ref: string, onProgress: ProgressLine): Promise<{ digest: string }> {
    return call(async () => {
      const parsed = parseReference(ref);
      const name = ref.slice(0, ref.length - (parsed.tag && ref.endsWith(`:${parsed.tag}`) ? parsed.tag.length + 1 : 0));
      const authconfig = authConfigFor(parsed.domain) ?? {};
      const stream = await (this.docker
        .getImage(name)
        .push({ tag: parsed.tag ?? 'latest', authconfig } as never) as unknown as Promise<NodeJS.ReadableStream>);
      const digest = (await followProgress(this.docker, stream, onProgress)).find((e) => e.aux?.Digest)?.aux?.Digest;
      if (!digest) throw new EngineError('internal', `the engine reported no digest for the push of ${ref}`);
      return { digest };
    });
  }

  buildImage(context: NodeJS.ReadableStream, request: BuildRequest, onProgress: ProgressLine): Promise<void> {
    return call(async () => {
      await followProgress(this.docker, await this.docker.buildImage(context, buildQuery(request)), onProgress);
    });
  }

  openBuildSession(payload: BuildSessionPayload): Promise<string> {
    return call(async () => {
      const res = await new Promise<{ Session?: string }>((resolve, reject) => {
        this.docker.modem.dial(
          {
            path: '/tscompose/build-secrets',
            method: 'POST',
            options: payload,
            statusCodes: { 200: true, 201: true, 400: 'bad request', 404: 'not found', 500: 'server error' },
          },
          (err: Error | null, data: unknown) => (err ? reject(err) : resolve(data as { Session?: string })),
        );
      });
      if (!res.Session) throw new EngineError('internal', 'the engine gave no session');
      return res.Session;
    });
  }

  events(filters: ListFilters): Promise<NodeJS.ReadableStream> {
    return call(() => this.docker.getEvents({ filters: filters as Docker.GetEventsOptions['filters'] }));
  }
}

export const dockerEngineClient = (docker: Docker): EngineClient => new DockerEngineClient(docker);
