// Docker's create semantics: the create body's Config over the image's config (Entrypoint/Cmd combination,
// Env merged by key, Labels merged, WorkingDir/User/StopSignal/Healthcheck defaults), and name validation.
import { randomBytes } from 'node:crypto';
import type { ImageRuntimeConfig } from '../contracts.js';
import { invalid } from '../errors.js';
import type { ContainerConfig, HostConfig } from './docker-config.js';
import { DEFAULT_PATH, hasPath } from '../runtime/default-path.js';
import { checkLogConfigAtCreate } from './log-config.js';

const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function containerName(requested: string | null): string {
  if (!requested) return `/tsc_${randomBytes(6).toString('hex')}`;
  if (!NAME_RE.test(requested)) throw invalid(`Invalid container name (${requested}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return requested.startsWith('/') ? requested : `/${requested}`;
}

export function mergeEnv(base: string[] = [], override: string[] = []): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...override]) {
    const eq = e.indexOf('=');
    out.set(eq < 0 ? e : e.slice(0, eq), e);
  }
  return [...out.values()];
}

/** The effective container Config: what inspect shows as Config and what the process runs. */
export function effectiveConfig(
  body: Record<string, any>,
  image: ImageRuntimeConfig,
  id: string,
): { config: ContainerConfig; path: string; args: string[] } {
  const entrypointGiven = body.Entrypoint !== undefined && body.Entrypoint !== null;
  let entrypoint: string[] = entrypointGiven
    ? typeof body.Entrypoint === 'string'
      ? [body.Entrypoint]
      : body.Entrypoint
    : (image.Entrypoint ?? []);
  if (entrypoint.length === 1 && entrypoint[0] === '') entrypoint = [];
  const cmdGiven = body.Cmd !== undefined && body.Cmd !== null && !(Array.isArray(body.Cmd) && body.Cmd.length === 0 && !entrypointGiven);
  const cmd: string[] = cmdGiven ? (typeof body.Cmd === 'string' ? [body.Cmd] : body.Cmd) : entrypointGiven ? [] : (image.Cmd ?? []);
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0) throw invalid('No command specified');
  const imageEnv = image.Env ?? [];
  const env = mergeEnv(hasPath(imageEnv) ? imageEnv : [`PATH=${DEFAULT_PATH}`, ...imageEnv], body.Env ?? []);
  const config = {
    Hostname: body.Hostname || id.slice(0, 12),
    Domainname: body.Domainname ?? '',
    User: body.User || image.User || '',
    AttachStdin: body.AttachStdin ?? false,
    AttachStdout: body.AttachStdout ?? false,
    AttachStderr: body.AttachStderr ?? false,
    ExposedPorts: { ...(image.ExposedPorts ?? {}), ...(body.ExposedPorts ?? {}) },
    Tty: body.Tty ?? false,
    OpenStdin: body.OpenStdin ?? false,
    StdinOnce: body.StdinOnce ?? false,
    Env: env,
    Cmd: cmd,
    Healthcheck: body.Healthcheck ?? image.Healthcheck,
    Image: body.Image,
    Volumes: { ...(image.Volumes ?? {}), ...(body.Volumes ?? {}) },
    WorkingDir: body.WorkingDir || image.WorkingDir || '',
    Entrypoint: entrypoint.length ? entrypoint : null,
    OnBuild: null,
    Labels: { ...(image.Labels ?? {}), ...(body.Labels ?? {}) },
    StopSignal: body.StopSignal || image.StopSignal || 'SIGTERM',
    ...(body.MacAddress ? { MacAddress: body.MacAddress } : {}),
    ...(body.StopTimeout !== undefined ? { StopTimeout: body.StopTimeout } : {}),
  };
  return { config, path: argv[0]!, args: argv.slice(1) };
}

export function defaultHostConfig(hc: Record<string, any> = {}): HostConfig {
  return {
    Binds: null,
    NetworkMode: 'default',
    PortBindings: {},
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    AutoRemove: false,
    VolumeDriver: '',
    VolumesFrom: null,
    CapAdd: null,
    CapDrop: null,
    Dns: [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: null,
    Privileged: false,
    PublishAllPorts: false,
    ReadonlyRootfs: false,
    ShmSize: 67108864,
    Memory: 0,
    MemorySwap: 0,
    NanoCpus: 0,
    CpuShares: 0,
    PidsLimit: null,
    Ulimits: null,
    Sysctls: null,
    Tmpfs: null,
    Init: null,
    Mounts: [],
    ...hc,
    Runtime: hc.Runtime || 'runc',
    LogConfig: { Type: hc.LogConfig?.Type || 'json-file', Config: hc.LogConfig?.Config ?? {} },
  };
}

/** Docker's logging drivers that the engine does not have: refused at create, with what it has instead. */
const DOCKER_ONLY_LOG_DRIVERS = ['syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'etwlogs', 'gcplogs', 'logentries'];

/** Create-time checks of HostConfig.Runtime and LogConfig, with Docker's 400 messages. */
export function checkRuntimeAndLogDriver(hc: Record<string, any>): void {
  if (hc.Runtime !== 'runc') throw invalid(`Unknown runtime specified ${hc.Runtime}`);
  const driver = String(hc.LogConfig.Type);
  if (DOCKER_ONLY_LOG_DRIVERS.includes(driver))
    throw invalid(`logging driver "${driver}" is not supported by the tscompose engine (json-file, local and none are)`);
  try {
    checkLogConfigAtCreate(driver, hc.LogConfig.Config ?? {});
  } catch (err) {
    throw invalid((err as Error).message);
  }
}
