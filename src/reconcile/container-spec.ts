// Maps a canonical Service onto the Docker Engine API's container create body. Pure: everything
// that needs the engine (ids of other containers, image ids) is passed in.
import type Docker from 'dockerode';
import type { ContainerCreateBody, EndpointSettings } from '../client/engine-client.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Project, Service, VolumeMount } from '../model/types.js';
import { UserError } from '../errors.js';
import { COMPOSE_VERSION_LABEL, LABEL } from '../labels.js';
import { durationNs, durationSeconds } from './duration.js';
import { networkName, serviceImage, serviceNetworkKeys, volumeName } from './names.js';
import { unsupportedBuildKeys } from './unsupported-build.js';

export interface ContainerSpecInput {
  project: Project;
  service: Service;
  number: number;
  name: string;
  configHash: string;
  imageId?: string;
  oneoff?: boolean;
  /** resolved environment (env_file + environment, pass-through variables looked up) */
  env: Record<string, string>;
  /** id or name of a running container of another service (network_mode/volumes_from service:x) */
  containerOf: (service: string) => string | undefined;
}

export interface ContainerSpec {
  create: ContainerCreateBody;
  /** networks beyond the first one, connected between create and start */
  extraNetworks: { name: string; endpoint: EndpointSettings }[];
}

export function composeLabels(input: ContainerSpecInput): Record<string, string> {
  const { project, service } = input;
  return {
    ...service.labels,
    [LABEL.project]: project.name,
    [LABEL.service]: service.name,
    [LABEL.number]: String(input.number),
    [LABEL.oneoff]: input.oneoff ? 'True' : 'False',
    [LABEL.configHash]: input.configHash,
    [LABEL.dependsOn]: Object.entries(service.dependsOn)
      .map(([d, v]) => `${d}:${v.condition}:${v.restart}`)
      .join(','),
    [LABEL.workingDir]: project.workingDir,
    [LABEL.configFiles]: project.configFiles.join(','),
    [LABEL.version]: COMPOSE_VERSION_LABEL,
    ...(input.imageId ? { [LABEL.image]: input.imageId } : {}),
  };
}

const portKey = (target: number, protocol: string) => `${target}/${protocol}`;

function portBindings(service: Service) {
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of service.ports) {
    (bindings[portKey(p.target, p.protocol)] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: p.published ?? '' });
  }
  return bindings;
}

function exposedPorts(service: Service) {
  const exposed: Record<string, object> = {};
  for (const p of service.ports) exposed[portKey(p.target, p.protocol)] = {};
  for (const e of service.expose) {
    const [port, proto = 'tcp'] = e.split('/');
    exposed[`${port}/${proto}`] = {};
  }
  return exposed;
}

/** HostConfig.Mounts entry; dockerode's typing makes optional API fields required. */
export interface MountEntry {
  Type: 'volume' | 'bind' | 'tmpfs';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> };
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; ReadOnlyNonRecursive?: boolean; ReadOnlyForceRecursive?: boolean };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

function mount(project: Project, m: VolumeMount): MountEntry | undefined {
  switch (m.type) {
    case 'volume':
      return {
        Type: 'volume',
        Target: m.target,
        ReadOnly: m.readOnly,
        ...(m.source ? { Source: volumeName(project, m.source) } : {}),
        ...(m.volume?.nocopy || m.volume?.labels
          ? { VolumeOptions: { ...(m.volume.nocopy ? { NoCopy: true } : {}), ...(m.volume.labels ? { Labels: m.volume.labels } : {}) } }
          : {}),
      };
    case 'bind':
      return {
        Type: 'bind',
        Source: path.resolve(project.workingDir, m.source ?? ''),
        Target: m.target,
        ReadOnly: m.readOnly,
        ...(m.bind?.propagation || (m.bind?.recursive && m.bind.recursive !== 'enabled')
          ? { BindOptions: { ...(m.bind.propagation ? { Propagation: m.bind.propagation } : {}), ...recursiveOption(m.bind.recursive) } }
          : {}),
      };
    case 'tmpfs':
      return {
        Type: 'tmpfs',
        Target: m.target,
        ReadOnly: m.readOnly,
        TmpfsOptions: {
          ...(m.tmpfs?.size ? { SizeBytes: m.tmpfs.size } : {}),
          ...(m.tmpfs?.mode !== undefined ? { Mode: m.tmpfs.mode } : {}),
        },
      };
    default:
      return undefined;
  }
}

/** bind.recursive as docker compose v2 sends it (enabled is the engine's default). */
function recursiveOption(r: NonNullable<VolumeMount['bind']>['recursive']) {
  switch (r) {
    case 'disabled':
      return { NonRecursive: true };
    case 'writable':
      return { ReadOnlyNonRecursive: true };
    case 'readonly':
      return { ReadOnlyForceRecursive: true };
    default:
      return {};
  }
}

/** Keys the model and `config` carry but `up` cannot honour yet: refused before anything is created. */
export function unsupportedAtUp(service: Service): string | undefined {
  const found: string[] = [];
  if (service.gpus) found.push('gpus');
  if (service.deploy?.resources?.reservations?.devices?.length) found.push('deploy.resources.reservations.devices');
  if (service.deploy?.resources?.reservations?.genericResources?.length) found.push('deploy.resources.reservations.generic_resources');
  if (service.postStart?.length) found.push('post_start');
  if (service.preStop?.length) found.push('pre_stop');
  if (service.credentialSpec) found.push('credential_spec');
  if (service.preStart?.length) found.push('pre_start');
  for (const t of ['image', 'npipe', 'cluster'] as const) if (service.volumes.some((v) => v.type === t)) found.push(`volumes of type ${t}`);
  if (service.models && Object.keys(service.models).length) found.push('models');
  if (service.provider) found.push('provider');
  if (service.useApiSocket) found.push('use_api_socket');
  if (service.pullRefreshAfter) found.push('pull_refresh_after');
  if (service.build?.entitlements?.length) found.push('build.entitlements');
  if (service.build?.provenance !== undefined) found.push('build.provenance');
  if (service.build?.sbom !== undefined) found.push('build.sbom');
  found.push(...unsupportedBuildKeys(service));
  if (service.isolation !== undefined && service.isolation !== 'default') found.push(`isolation: ${service.isolation}`);
  if (!found.length) return undefined;
  return `service "${service.name}" uses ${found.join(', ')}: tscompose does not support ${found.length > 1 ? 'these keys' : 'this key'} yet when creating containers (docker compose config shows ${found.length > 1 ? 'them' : 'it'})`;
}

function secretMounts(project: Project, service: Service): MountEntry[] {
  const mounts: MountEntry[] = [];
  const add = (refs: Service['secrets'], defs: Project['secrets'], base: string) => {
    for (const ref of refs) {
      const def = defs[ref.source];
      if (!def?.file) continue;
      const target = ref.target ? (ref.target.startsWith('/') ? ref.target : `${base}/${ref.target}`) : `${base}/${ref.source}`;
      mounts.push({ Type: 'bind', Source: def.file, Target: target, ReadOnly: true });
    }
  };
  add(service.secrets, project.secrets, '/run/secrets');
  add(service.configs, project.configs, '');
  return mounts.map((m) => (m.Target.startsWith('/') ? m : { ...m, Target: `/${m.Target}` }));
}

/** security_opt as docker compose v2 sends it: `seccomp=<file>` (relative to the project directory)
 *  becomes `seccomp=<the file's JSON, compacted>`, `systempaths=unconfined` empties MaskedPaths and
 *  ReadonlyPaths, the rest goes to the engine as written (the engine checks it). */
export function securityOptions(
  project: Project,
  opts: string[] | undefined,
): { SecurityOpt?: string[]; MaskedPaths?: string[]; ReadonlyPaths?: string[] } {
  if (!opts?.length) return {};
  const out: string[] = [];
  let unconfinedPaths = false;
  for (const opt of opts) {
    if (opt === 'systempaths=unconfined') {
      unconfinedPaths = true;
      continue;
    }
    let sep = opt.indexOf('=');
    if (sep < 0 && opt !== 'no-new-privileges') {
      sep = opt.indexOf(':');
      if (sep < 0) throw new Error(`Invalid security-opt: ${JSON.stringify(opt)}`);
    }
    const key = sep < 0 ? opt : opt.slice(0, sep);
    const value = opt.slice(sep + 1);
    if (key === 'seccomp' && value !== 'unconfined') {
      let text: string;
      try {
        text = readFileSync(path.resolve(project.workingDir, value), 'utf8');
      } catch (err) {
        throw new Error(`opening seccomp profile (${value}) failed: ${(err as Error).message}`);
      }
      try {
        out.push(`seccomp=${JSON.stringify(JSON.parse(text))}`);
      } catch (err) {
        throw new Error(`compacting json for seccomp profile (${value}) failed: ${(err as Error).message}`);
      }
    } else out.push(opt);
  }
  return { ...(out.length ? { SecurityOpt: out } : {}), ...(unconfinedPaths ? { MaskedPaths: [], ReadonlyPaths: [] } : {}) };
}

export function restartPolicy(service: Service): Docker.HostRestartPolicy | undefined {
  const text = service.restart ?? deployRestart(service.deploy?.restartPolicy);
  if (!text) return undefined;
  const [name, count] = text.split(':');
  return { Name: name === 'no' ? '' : name, ...(count ? { MaximumRetryCount: Number(count) } : {}) };
}

function deployRestart(p: NonNullable<Service['deploy']>['restartPolicy']): string | undefined {
  if (!p?.condition) return undefined;
  if (p.condition === 'none') return 'no';
  if (p.condition === 'any') return 'always';
  return p.maxAttempts ? `on-failure:${p.maxAttempts}` : 'on-failure';
}

function healthcheck(service: Service): Docker.HealthConfig | undefined {
  const h = service.healthcheck;
  if (!h) return undefined;
  if (h.disable) return { Test: ['NONE'] };
  const hc: Docker.HealthConfig & { StartInterval?: number } = {};
  if (h.test) hc.Test = h.test;
  if (h.interval) hc.Interval = durationNs(h.interval);
  if (h.timeout) hc.Timeout = durationNs(h.timeout);
  if (h.retries !== undefined) hc.Retries = h.retries;
  if (h.startPeriod) hc.StartPeriod = durationNs(h.startPeriod);
  if (h.startInterval) hc.StartInterval = durationNs(h.startInterval);
  return hc;
}

function networkMode(input: ContainerSpecInput): string | undefined {
  const mode = input.service.networkMode;
  if (!mode) return networkName(input.project, serviceNetworkKeys(input.service)[0]);
  if (mode.startsWith('service:')) {
    const other = mode.slice('service:'.length);
    const id = input.containerOf(other);
    if (!id) throw new Error(`service "${input.service.name}" uses network_mode service:${other} but no container of "${other}" exists`);
    return `container:${id}`;
  }
  return mode;
}

function endpoint(input: ContainerSpecInput, key: string, primary = false): Docker.EndpointSettings {
  const sn = input.service.networks[key];
  const ep: Docker.EndpointSettings = { Aliases: [input.service.name, ...(sn?.aliases ?? [])] };
  const ipam: Record<string, unknown> = {};
  if (sn?.ipv4Address) ipam.IPv4Address = sn.ipv4Address;
  if (sn?.ipv6Address) ipam.IPv6Address = sn.ipv6Address;
  if (sn?.linkLocalIps?.length) ipam.LinkLocalIPs = sn.linkLocalIps;
  if (Object.keys(ipam).length) ep.IPAMConfig = ipam as Docker.EndpointSettings['IPAMConfig'];
  const mac = sn?.macAddress ?? (primary ? input.service.macAddress : undefined);
  if (mac) ep.MacAddress = mac;
  const driverOpts = {
    ...(sn?.driverOpts ?? {}),
    ...(sn?.interfaceName ? { 'com.docker.network.endpoint.ifname': sn.interfaceName } : {}),
  };
  if (Object.keys(driverOpts).length) ep.DriverOpts = driverOpts;
  if (sn?.gwPriority !== undefined) (ep as Record<string, unknown>).GwPriority = sn.gwPriority;
  return ep;
}

const definedEntries = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

export function containerSpec(input: ContainerSpecInput): ContainerSpec {
  const { project, service } = input;
  const refused = unsupportedAtUp(service);
  if (refused) throw new UserError(refused);
  const limits = service.deploy?.resources?.limits;
  const reservations = service.deploy?.resources?.reservations;
  const cpus = service.cpus ?? limits?.cpus;
  const netKeys = serviceNetworkKeys(service);
  const ordered = [...netKeys].sort((a, b) => (service.networks[b]?.priority ?? 0) - (service.networks[a]?.priority ?? 0));
  const mounts = [...service.volumes.map((m) => mount(project, m)).filter((m): m is MountEntry => !!m), ...secretMounts(project, service)];

  const hostConfig: Docker.HostConfig = definedEntries({
    PortBindings: service.ports.length ? portBindings(service) : undefined,
    Mounts: mounts.length ? (mounts as unknown as Docker.MountSettings[]) : undefined,
    Tmpfs: service.tmpfs.length
      ? Object.fromEntries(
          service.tmpfs.map((t) => {
            const [p, ...o] = t.split(':');
            return [p, o.join(':')];
          }),
        )
      : undefined,
    NetworkMode: networkMode(input),
    RestartPolicy: restartPolicy(service),
    Memory: service.memLimit ?? limits?.memory,
    MemoryReservation: service.memReservation ?? reservations?.memory,
    MemorySwap: service.memswapLimit,
    MemorySwappiness: service.memSwappiness,
    OomKillDisable: service.oomKillDisable,
    OomScoreAdj: service.oomScoreAdj,
    CpuShares: service.cpuShares,
    CpuQuota: service.cpuQuota,
    CpuPeriod: service.cpuPeriod,
    CpuRealtimeRuntime: service.cpuRtRuntime,
    CpuRealtimePeriod: service.cpuRtPeriod,
    CpuCount: service.cpuCount,
    CpuPercent: service.cpuPercent,
    CpusetCpus: service.cpuset,
    Devices: service.devices?.length
      ? service.devices.map((d) => ({ PathOnHost: d.source, PathInContainer: d.target, CgroupPermissions: d.permissions }))
      : undefined,
    DeviceCgroupRules: service.deviceCgroupRules?.length ? service.deviceCgroupRules : undefined,
    GroupAdd: service.groupAdd?.length ? service.groupAdd : undefined,
    CgroupParent: service.cgroupParent,
    CgroupnsMode: service.cgroup,
    Runtime: service.runtime,
    UsernsMode: service.usernsMode,
    UTSMode: service.uts,
    Isolation: service.isolation,
    StorageOpt: service.storageOpt && Object.keys(service.storageOpt).length ? service.storageOpt : undefined,
    ...blkio(service),
    Links: service.externalLinks?.length
      ? service.externalLinks.map((l) => {
          const [name, alias = name] = l.split(':');
          return `${name}:${alias}`;
        })
      : undefined,
    NanoCpus: cpus ? Math.round(cpus * 1e9) : undefined,
    PidsLimit: service.pidsLimit ?? limits?.pids,
    Ulimits: Object.keys(service.ulimits).length
      ? Object.entries(service.ulimits).map(([Name, l]) => ({ Name, Soft: l.soft, Hard: l.hard }))
      : undefined,
    Sysctls: Object.keys(service.sysctls).length ? service.sysctls : undefined,
    ExtraHosts: service.extraHosts.length ? service.extraHosts.map((h) => h.replace('=', ':')) : undefined,
    Dns: service.dns.length ? service.dns : undefined,
    DnsSearch: service.dnsSearch.length ? service.dnsSearch : undefined,
    DnsOptions: service.dnsOpt.length ? service.dnsOpt : undefined,
    CapAdd: service.capAdd.length ? service.capAdd : undefined,
    CapDrop: service.capDrop.length ? service.capDrop : undefined,
    Privileged: service.privileged,
    ...securityOptions(project, service.securityOpt),
    ReadonlyRootfs: service.readOnly,
    Init: service.init,
    ShmSize: service.shmSize,
    LogConfig: service.logging ? { Type: service.logging.driver ?? 'json-file', Config: service.logging.options } : undefined,
    PidMode: service.pid,
    IpcMode: service.ipc,
    VolumesFrom: service.volumesFrom.length ? service.volumesFrom.map((v) => volumesFrom(input, v)) : undefined,
  });

  const env = Object.entries(input.env).map(([k, v]) => `${k}=${v}`);
  const create: Docker.ContainerCreateOptions = definedEntries({
    name: input.name,
    Image: serviceImage(project.name, service),
    Env: env,
    Cmd: service.command === null ? [] : service.command,
    Entrypoint: service.entrypoint === null ? [''] : service.entrypoint,
    ExposedPorts: Object.keys(exposedPorts(service)).length ? exposedPorts(service) : undefined,
    Labels: composeLabels(input),
    Healthcheck: healthcheck(service),
    User: service.user,
    WorkingDir: service.workingDir,
    Hostname: service.hostname,
    Domainname: service.domainname,
    StopSignal: service.stopSignal,
    StopTimeout: durationSeconds(service.stopGracePeriod),
    Tty: service.tty ?? false,
    OpenStdin: service.stdinOpen ?? false,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: hostConfig,
    NetworkingConfig: ordered.length
      ? { EndpointsConfig: { [networkName(project, ordered[0])]: endpoint(input, ordered[0], true) } }
      : undefined,
    // without a network to carry it (network_mode), the service's mac_address goes on the container
    MacAddress: !ordered.length && service.networkMode !== 'none' ? service.macAddress : undefined,
  }) as Docker.ContainerCreateOptions;

  const extraNetworks = ordered.slice(1).map((key) => ({ name: networkName(project, key), endpoint: endpoint(input, key) }));
  return { create, extraNetworks };
}

function blkio(service: Service): Partial<Docker.HostConfig> {
  const b = service.blkioConfig;
  if (!b) return {};
  const rates = (list: { path: string; rate: number }[]) => (list.length ? list.map((r) => ({ Path: r.path, Rate: r.rate })) : undefined);
  return definedEntries({
    BlkioWeight: b.weight,
    BlkioWeightDevice: b.weightDevice.length ? b.weightDevice.map((w) => ({ Path: w.path, Weight: w.weight })) : undefined,
    BlkioDeviceReadBps: rates(b.deviceReadBps),
    BlkioDeviceReadIOps: rates(b.deviceReadIops),
    BlkioDeviceWriteBps: rates(b.deviceWriteBps),
    BlkioDeviceWriteIOps: rates(b.deviceWriteIops),
  }) as Partial<Docker.HostConfig>;
}

function volumesFrom(input: ContainerSpecInput, entry: string): string {
  if (entry.startsWith('container:')) return entry.slice('container:'.length);
  const [svc, mode] = entry.split(':');
  const id = input.containerOf(svc) ?? svc;
  return mode ? `${id}:${mode}` : id;
}
