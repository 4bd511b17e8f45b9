// The merged canonical document (snake_case, long forms) as the typed model of types.ts.
import type {
  BlkioConfig,
  DeviceMapping,
  Hook,
  Model,
  BuildConfig,
  Deploy,
  DependsOn,
  Develop,
  EnvFileRef,
  Healthcheck,
  Network,
  PortMapping,
  SecretOrConfig,
  Service,
  ServiceFileRef,
  ServiceNetwork,
  Volume,
  VolumeMount,
  WatchRule,
} from './types.js';
import { isMap, type Plain, type PlainMap } from './located.js';
import { isFalse, isTrue, listOrMapToMap } from './normalize/mappings.js';

const str = (v: Plain | undefined): string | undefined => (v === undefined || v === null ? undefined : String(v));
const num = (v: Plain | undefined): number | undefined => (v === undefined || v === null || v === '' ? undefined : Number(v));
const bool = (v: Plain | undefined): boolean | undefined => (v === undefined || v === null ? undefined : isTrue(v));
const strList = (v: Plain | undefined): string[] => (Array.isArray(v) ? v.map(String) : v === undefined || v === null ? [] : [String(v)]);
const strMap = (v: Plain | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  if (isMap(v)) for (const [k, x] of Object.entries(v)) out[k] = x === null ? '' : String(x);
  return out;
};
// new optional model fields stay undefined when empty, so services that do not use them keep their config hash
const listOrNothing = (v: Plain | undefined): string[] | undefined => {
  const l = strList(v);
  return l.length ? l : undefined;
};
const extensionsOf = (m: PlainMap): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) if (k.startsWith('x-')) out[k] = v;
  return out;
};

export function toService(name: string, s: PlainMap, environment: Record<string, string | null>, projectDir: string): Service {
  const deploy = isMap(s.deploy) ? toDeploy(s.deploy) : undefined;
  const svc: Service = {
    name,
    image: str(s.image),
    build: isMap(s.build) ? toBuild(s.build, projectDir) : undefined,
    command: s.command === null ? null : Array.isArray(s.command) ? s.command.map(String) : undefined,
    entrypoint: s.entrypoint === null ? null : Array.isArray(s.entrypoint) ? s.entrypoint.map(String) : undefined,
    environment,
    envFiles: Array.isArray(s.env_file) ? s.env_file.map((e) => toEnvFile(e as PlainMap)) : [],
    ports: Array.isArray(s.ports) ? s.ports.map((p) => toPort(p as PlainMap)) : [],
    expose: strList(s.expose),
    volumes: Array.isArray(s.volumes) ? s.volumes.map((v) => toVolumeMount(v as PlainMap)) : [],
    tmpfs: strList(s.tmpfs),
    networks: {},
    networkMode: str(s.network_mode),
    dependsOn: {},
    links: strList(s.links),
    volumesFrom: strList(s.volumes_from),
    healthcheck: isMap(s.healthcheck) ? toHealthcheck(s.healthcheck) : undefined,
    restart: str(s.restart),
    deploy,
    scale: num(s.scale) ?? deploy?.replicas ?? 1,
    labels: strMap(s.labels),
    annotations: strMap(s.annotations),
    user: str(s.user),
    workingDir: str(s.working_dir),
    hostname: str(s.hostname),
    domainname: str(s.domainname),
    init: bool(s.init),
    stopSignal: str(s.stop_signal),
    stopGracePeriod: str(s.stop_grace_period),
    capAdd: strList(s.cap_add),
    capDrop: strList(s.cap_drop),
    securityOpt: strList(s.security_opt),
    privileged: bool(s.privileged),
    readOnly: bool(s.read_only),
    shmSize: num(s.shm_size),
    ulimits: {},
    sysctls: strMap(s.sysctls),
    extraHosts: extraHostsList(s.extra_hosts),
    dns: strList(s.dns),
    dnsSearch: strList(s.dns_search),
    dnsOpt: strList(s.dns_opt),
    pid: str(s.pid),
    ipc: str(s.ipc),
    logging: isMap(s.logging) ? { driver: str(s.logging.driver), options: strMap(s.logging.options) } : undefined,
    secrets: Array.isArray(s.secrets) ? s.secrets.map((r) => toFileRef(r as PlainMap)) : [],
    configs: Array.isArray(s.configs) ? s.configs.map((r) => toFileRef(r as PlainMap)) : [],
    profiles: strList(s.profiles),
    develop: isMap(s.develop) ? toDevelop(s.develop) : undefined,
    platform: str(s.platform),
    pullPolicy: s.pull_policy === 'if_not_present' ? 'missing' : str(s.pull_policy),
    tty: bool(s.tty),
    stdinOpen: bool(s.stdin_open),
    containerName: str(s.container_name),
    attach: bool(s.attach),
    memLimit: num(s.mem_limit),
    cpus: num(s.cpus),
    pidsLimit: num(s.pids_limit),
    devices:
      Array.isArray(s.devices) && s.devices.length
        ? s.devices.map((d) => {
            const m = d as PlainMap;
            return { source: String(m.source), target: String(m.target), permissions: String(m.permissions) } satisfies DeviceMapping;
          })
        : undefined,
    deviceCgroupRules: listOrNothing(s.device_cgroup_rules),
    runtime: str(s.runtime),
    macAddress: str(s.mac_address),
    groupAdd: listOrNothing(s.group_add),
    cgroup: str(s.cgroup),
    cgroupParent: str(s.cgroup_parent),
    cpuShares: num(s.cpu_shares),
    cpuQuota: num(s.cpu_quota),
    cpuPeriod: num(s.cpu_period),
    cpuRtRuntime: num(s.cpu_rt_runtime),
    cpuRtPeriod: num(s.cpu_rt_period),
    cpuCount: num(s.cpu_count),
    cpuPercent: num(s.cpu_percent),
    cpuset: str(s.cpuset),
    memReservation: num(s.mem_reservation),
    memswapLimit: num(s.memswap_limit),
    memSwappiness: num(s.mem_swappiness),
    oomScoreAdj: num(s.oom_score_adj),
    oomKillDisable: bool(s.oom_kill_disable),
    usernsMode: str(s.userns_mode),
    uts: str(s.uts),
    isolation: str(s.isolation),
    storageOpt: isMap(s.storage_opt) && Object.keys(s.storage_opt).length ? strMap(s.storage_opt) : undefined,
    blkioConfig: isMap(s.blkio_config) ? toBlkio(s.blkio_config) : undefined,
    externalLinks: listOrNothing(s.external_links),
    gpus: s.gpus === 'all' ? 'all' : Array.isArray(s.gpus) ? (s.gpus as Record<string, unknown>[]) : undefined,
    credentialSpec: isMap(s.credential_spec) ? (s.credential_spec as Record<string, unknown>) : undefined,
    postStart: Array.isArray(s.post_start) && s.post_start.length ? s.post_start.map((h) => toHook(h as PlainMap)) : undefined,
    preStop: Array.isArray(s.pre_stop) && s.pre_stop.length ? s.pre_stop.map((h) => toHook(h as PlainMap)) : undefined,
    preStart: Array.isArray(s.pre_start) && s.pre_start.length ? s.pre_start.map((h) => toHook(h as PlainMap)) : undefined,
    ...(isMap(s.models)
      ? {
          models: Object.fromEntries(
            Object.entries(s.models).map(([k, m]) => [
              k,
              isMap(m) ? { endpointVar: str(m.endpoint_var), modelVar: str(m.model_var) } : null,
            ]),
          ),
        }
      : {}),
    ...(isMap(s.provider)
      ? {
          provider: {
            type: String(s.provider.type),
            options: isMap(s.provider.options) ? (s.provider.options as Record<string, unknown>) : {},
          },
        }
      : {}),
    useApiSocket: bool(s.use_api_socket),
    pullRefreshAfter: str(s.pull_refresh_after),
    extensions: extensionsOf(s),
  };
  if (isMap(s.networks)) {
    for (const [k, n] of Object.entries(s.networks)) svc.networks[k] = isMap(n) ? toServiceNetwork(n) : null;
  }
  if (isMap(s.depends_on)) {
    for (const [k, d] of Object.entries(s.depends_on)) svc.dependsOn[k] = toDependsOn(d as PlainMap);
  }
  if (isMap(s.ulimits)) {
    for (const [k, u] of Object.entries(s.ulimits)) {
      const m = u as PlainMap;
      svc.ulimits[k] = { soft: Number(m.soft), hard: Number(m.hard), ...(m.single === true ? { single: true } : {}) };
    }
  }
  return svc;
}

function toBlkio(b: PlainMap): BlkioConfig {
  const rates = (v: Plain | undefined) =>
    Array.isArray(v) ? v.map((r) => ({ path: String((r as PlainMap).path), rate: Number((r as PlainMap).rate) })) : [];
  return {
    weight: num(b.weight),
    weightDevice: Array.isArray(b.weight_device)
      ? b.weight_device.map((w) => ({ path: String((w as PlainMap).path), weight: Number((w as PlainMap).weight) }))
      : [],
    deviceReadBps: rates(b.device_read_bps),
    deviceReadIops: rates(b.device_read_iops),
    deviceWriteBps: rates(b.device_write_bps),
    deviceWriteIops: rates(b.device_write_iops),
  };
}

function toHook(h: PlainMap): Hook {
  return {
    command: Array.isArray(h.command) ? h.command.map(String) : strList(h.command),
    user: str(h.user),
    privileged: bool(h.privileged),
    workingDir: str(h.working_dir),
    environment: strMap(h.environment),
    ...(h.image !== undefined ? { image: str(h.image) } : {}),
    ...(h.per_replica !== undefined ? { perReplica: bool(h.per_replica) } : {}),
  };
}

function extraHostsList(v: Plain | undefined): string[] {
  if (!isMap(v)) return [];
  const out: string[] = [];
  for (const [host, ips] of Object.entries(v)) for (const ip of Array.isArray(ips) ? ips : [ips]) out.push(`${host}=${ip}`);
  return out;
}

function toBuild(b: PlainMap, projectDir: string): BuildConfig {
  const args: Record<string, string | null> = {};
  if (isMap(b.args)) for (const [k, v] of Object.entries(b.args)) args[k] = v === null ? null : String(v);
  return {
    context: str(b.context) ?? projectDir,
    dockerfile: str(b.dockerfile) ?? 'Dockerfile',
    dockerfileInline: str(b.dockerfile_inline),
    args,
    target: str(b.target),
    labels: strMap(b.labels),
    cacheFrom: strList(b.cache_from),
    network: str(b.network),
    shmSize: num(b.shm_size),
    extraHosts: extraHostsList(b.extra_hosts),
    tags: strList(b.tags),
    platforms: strList(b.platforms),
    noCache: bool(b.no_cache),
    pull: bool(b.pull),
    ...(Array.isArray(b.secrets) && b.secrets.length ? { secrets: b.secrets.map((r) => toFileRef(r as PlainMap)) } : {}),
    ...(Array.isArray(b.ssh) && b.ssh.length ? { ssh: b.ssh.map(String) } : {}),
    ...(isMap(b.additional_contexts) && Object.keys(b.additional_contexts).length
      ? { additionalContexts: strMap(b.additional_contexts) }
      : {}),
    cacheTo: strList(b.cache_to),
    privileged: bool(b.privileged),
    isolation: str(b.isolation),
    ...(isMap(b.ulimits) ? { ulimits: b.ulimits as Record<string, unknown> } : {}),
    ...(Array.isArray(b.entitlements) ? { entitlements: b.entitlements.map(String) } : {}),
    ...(b.provenance !== undefined && b.provenance !== null ? { provenance: b.provenance as string | boolean } : {}),
    ...(b.sbom !== undefined && b.sbom !== null ? { sbom: b.sbom as string | boolean } : {}),
  };
}

function toEnvFile(e: PlainMap): EnvFileRef {
  return { path: String(e.path), required: !isFalse(e.required), ...(e.format ? { format: String(e.format) } : {}) };
}

function toPort(p: PlainMap): PortMapping {
  return {
    target: Number(p.target),
    published: str(p.published),
    hostIp: str(p.host_ip),
    protocol: (str(p.protocol) ?? 'tcp') as PortMapping['protocol'],
    mode: (str(p.mode) ?? 'ingress') as PortMapping['mode'],
    name: str(p.name),
    appProtocol: str(p.app_protocol),
  };
}

function toVolumeMount(v: PlainMap): VolumeMount {
  const m: VolumeMount = {
    type: String(v.type) as VolumeMount['type'],
    source: str(v.source),
    target: String(v.target),
    readOnly: isTrue(v.read_only),
  };
  if (v.consistency) m.consistency = String(v.consistency);
  if (isMap(v.bind)) {
    m.bind = { createHostPath: isTrue(v.bind.create_host_path), propagation: str(v.bind.propagation), selinux: str(v.bind.selinux) };
    if (v.bind.recursive !== undefined && v.bind.recursive !== null)
      m.bind.recursive = String(v.bind.recursive) as NonNullable<VolumeMount['bind']>['recursive'];
  }
  if (isMap(v.volume)) {
    m.volume = { nocopy: isTrue(v.volume.nocopy), subpath: str(v.volume.subpath) };
    if (v.volume.labels !== undefined && v.volume.labels !== null) m.volume.labels = strMap(listOrMapToMap(v.volume.labels, false));
  }
  if (isMap(v.image)) m.image = { subpath: str(v.image.subpath) };
  if (isMap(v.tmpfs)) m.tmpfs = { size: num(v.tmpfs.size), mode: num(v.tmpfs.mode) };
  return m;
}

function toServiceNetwork(n: PlainMap): ServiceNetwork {
  return {
    aliases: strList(n.aliases),
    ipv4Address: str(n.ipv4_address),
    ipv6Address: str(n.ipv6_address),
    priority: num(n.priority),
    gwPriority: num(n.gw_priority),
    macAddress: str(n.mac_address),
    linkLocalIps: listOrNothing(n.link_local_ips),
    interfaceName: str(n.interface_name),
    driverOpts: isMap(n.driver_opts) && Object.keys(n.driver_opts).length ? strMap(n.driver_opts) : undefined,
  };
}

function toDependsOn(d: PlainMap): DependsOn {
  return {
    condition: (str(d.condition) ?? 'service_started') as DependsOn['condition'],
    restart: isTrue(d.restart),
    required: !isFalse(d.required),
  };
}

function toHealthcheck(h: PlainMap): Healthcheck {
  const test = Array.isArray(h.test) ? h.test.map(String) : undefined;
  return {
    disable: isTrue(h.disable) || test?.[0] === 'NONE',
    test,
    interval: str(h.interval),
    timeout: str(h.timeout),
    retries: num(h.retries),
    startPeriod: str(h.start_period),
    startInterval: str(h.start_interval),
  };
}

function toDeploy(d: PlainMap): Deploy {
  const out: Deploy = { mode: str(d.mode), replicas: num(d.replicas), labels: strMap(d.labels) };
  const r = d.resources;
  if (isMap(r)) {
    const lim = isMap(r.limits) ? r.limits : undefined;
    const res = isMap(r.reservations) ? r.reservations : undefined;
    out.resources = {
      limits: lim ? { cpus: num(lim.cpus), memory: num(lim.memory), pids: num(lim.pids) } : undefined,
      reservations: res
        ? {
            cpus: num(res.cpus),
            memory: num(res.memory),
            ...(Array.isArray(res.devices) ? { devices: res.devices as Record<string, unknown>[] } : {}),
            ...(Array.isArray(res.generic_resources) ? { genericResources: res.generic_resources as Record<string, unknown>[] } : {}),
          }
        : undefined,
    };
  }
  if (d.endpoint_mode !== undefined && d.endpoint_mode !== null) out.endpointMode = String(d.endpoint_mode);
  if (isMap(d.placement)) out.placement = d.placement as Record<string, unknown>;
  if (isMap(d.update_config)) out.updateConfig = d.update_config as Record<string, unknown>;
  if (isMap(d.rollback_config)) out.rollbackConfig = d.rollback_config as Record<string, unknown>;
  const rp = d.restart_policy;
  if (isMap(rp))
    out.restartPolicy = { condition: str(rp.condition), delay: str(rp.delay), maxAttempts: num(rp.max_attempts), window: str(rp.window) };
  return out;
}

function toFileRef(r: PlainMap): ServiceFileRef {
  // a mode written as a string is octal ("0440"), as compose-go reads it
  const mode = typeof r.mode === 'string' ? parseInt(r.mode, 8) : num(r.mode);
  return { source: String(r.source), target: str(r.target), uid: str(r.uid), gid: str(r.gid), mode };
}

function toDevelop(d: PlainMap): Develop {
  const watch = Array.isArray(d.watch) ? d.watch : [];
  return {
    watch: watch.map((w): WatchRule => {
      const r = w as PlainMap;
      const rule: WatchRule = {
        action: String(r.action) as WatchRule['action'],
        path: String(r.path),
        target: str(r.target),
        ignore: strList(r.ignore),
        include: strList(r.include),
        initialSync: isTrue(r.initial_sync),
      };
      if (isMap(r.exec)) {
        const e = r.exec;
        rule.exec = {
          command: Array.isArray(e.command) ? e.command.map(String) : strList(e.command),
          user: str(e.user),
          privileged: bool(e.privileged),
          workingDir: str(e.working_dir),
          environment: strMap(e.environment),
        };
      }
      return rule;
    }),
  };
}

/** A top-level resource's key, engine name (`<project>_<key>` unless named or external) and external flag. */
function resourceIdentity(key: string, d: PlainMap, project: string): { key: string; name: string; external: boolean } {
  const external = isTrue(d.external);
  return { key, name: str(d.name) ?? (external ? key : `${project}_${key}`), external };
}

export function toModel(key: string, d: PlainMap): Model {
  return { key, name: str(d.name), model: String(d.model), contextSize: num(d.context_size), runtimeFlags: strList(d.runtime_flags) };
}

export function toNetwork(key: string, def: PlainMap | null, project: string): Network {
  const d = def ?? {};
  const ipam = isMap(d.ipam) ? d.ipam : undefined;
  return {
    ...resourceIdentity(key, d, project),
    driver: str(d.driver),
    driverOpts: strMap(d.driver_opts),
    internal: isTrue(d.internal),
    attachable: isTrue(d.attachable),
    ...(d.enable_ipv4 !== undefined && d.enable_ipv4 !== null ? { enableIpv4: isTrue(d.enable_ipv4) } : {}),
    enableIpv6: isTrue(d.enable_ipv6),
    ipam: ipam
      ? {
          driver: str(ipam.driver),
          config: (Array.isArray(ipam.config) ? ipam.config : []).map((c) => {
            const m = c as PlainMap;
            return {
              subnet: str(m.subnet),
              gateway: str(m.gateway),
              ipRange: str(m.ip_range),
              auxAddresses: isMap(m.aux_addresses) ? strMap(m.aux_addresses) : undefined,
            };
          }),
        }
      : undefined,
    labels: strMap(d.labels),
  };
}

export function toVolume(key: string, def: PlainMap | null, project: string): Volume {
  const d = def ?? {};
  return {
    ...resourceIdentity(key, d, project),
    driver: str(d.driver),
    driverOpts: strMap(d.driver_opts),
    labels: strMap(d.labels),
  };
}

export function toSecretOrConfig(key: string, def: PlainMap | null, project: string): SecretOrConfig {
  const d = def ?? {};
  return {
    ...resourceIdentity(key, d, project),
    file: str(d.file),
    environment: str(d.environment),
    content: str(d.content),
    labels: strMap(d.labels),
    driver: str(d.driver),
    ...(isMap(d.driver_opts) ? { driverOpts: strMap(d.driver_opts) } : {}),
    templateDriver: str(d.template_driver),
  };
}
