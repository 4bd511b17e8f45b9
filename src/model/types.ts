// The canonical, fully-normalized Compose model. Every loader path ends here; graph/, reconcile/,
// watch/ and api/ consume only these types. Field names follow what `docker compose config` prints.

export type Duration = string; // normalized like docker compose prints it, e.g. "1m30s"
export type Bytes = number; // bytes

export interface Project {
  name: string;
  workingDir: string; // the project directory (absolute)
  configFiles: string[]; // absolute paths of the files that were merged, in order
  services: Record<string, Service>;
  networks: Record<string, Network>;
  volumes: Record<string, Volume>;
  secrets: Record<string, SecretOrConfig>;
  configs: Record<string, SecretOrConfig>;
  models?: Record<string, Model>;
  /** services disabled by profiles, kept so `--profile`/dependency errors can name them */
  disabledServices: Record<string, Service>;
  extensions: Record<string, unknown>; // top-level x-* keys
  environment: Record<string, string>; // the interpolation environment that was used
  warnings?: string[]; // things docker compose would warn about (unset variables, ignored dependencies)
}

export interface Service {
  name: string;
  image?: string;
  build?: BuildConfig;
  command?: string[] | null; // null = explicitly reset
  entrypoint?: string[] | null;
  environment: Record<string, string | null>; // null = pass through unset
  envFiles: EnvFileRef[];
  ports: PortMapping[];
  expose: string[];
  volumes: VolumeMount[];
  tmpfs: string[];
  networks: Record<string, ServiceNetwork | null>; // key = project-level network key
  networkMode?: string; // host | none | service:x | container:x | bridge
  dependsOn: Record<string, DependsOn>;
  links: string[];
  volumesFrom: string[];
  healthcheck?: Healthcheck;
  restart?: string; // no | always | on-failure[:n] | unless-stopped
  deploy?: Deploy;
  scale?: number; // effective replica count (scale / deploy.replicas), default 1
  labels: Record<string, string>;
  annotations: Record<string, string>;
  user?: string;
  workingDir?: string;
  hostname?: string;
  domainname?: string;
  init?: boolean;
  stopSignal?: string;
  stopGracePeriod?: Duration;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[]; // as written; seccomp=<file> is read relative to the project when a container is created
  privileged?: boolean;
  readOnly?: boolean;
  shmSize?: Bytes;
  ulimits: Record<string, { soft: number; hard: number; single?: boolean }>; // single: written as one number
  sysctls: Record<string, string>;
  extraHosts: string[]; // "host:ip" / "host=ip" normalized to "host=ip"
  dns: string[];
  dnsSearch: string[];
  dnsOpt: string[];
  pid?: string;
  ipc?: string;
  logging?: { driver?: string; options: Record<string, string> };
  secrets: ServiceFileRef[];
  configs: ServiceFileRef[];
  profiles: string[];
  develop?: Develop;
  platform?: string;
  pullPolicy?: 'always' | 'missing' | 'never' | 'build' | 'if_not_present' | 'daily' | 'weekly' | string;
  tty?: boolean;
  stdinOpen?: boolean;
  containerName?: string;
  attach?: boolean;
  memLimit?: Bytes;
  cpus?: number;
  pidsLimit?: number;
  // passed to the container create body as written (HostConfig unless noted)
  devices?: DeviceMapping[];
  deviceCgroupRules?: string[];
  runtime?: string;
  macAddress?: string; // the primary network endpoint's MacAddress
  groupAdd?: string[];
  cgroup?: string; // host | private
  cgroupParent?: string;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpuRtRuntime?: number;
  cpuRtPeriod?: number;
  cpuCount?: number;
  cpuPercent?: number;
  cpuset?: string;
  memReservation?: Bytes;
  memswapLimit?: Bytes;
  memSwappiness?: number;
  oomScoreAdj?: number;
  oomKillDisable?: boolean;
  usernsMode?: string;
  uts?: string;
  isolation?: string;
  storageOpt?: Record<string, string>;
  blkioConfig?: BlkioConfig;
  externalLinks?: string[];
  // modelled and printed by `config`, refused at `up` until tscompose supports them
  gpus?: 'all' | Record<string, unknown>[];
  credentialSpec?: Record<string, unknown>;
  postStart?: Hook[];
  preStop?: Hook[];
  preStart?: Hook[];
  models?: Record<string, { endpointVar?: string; modelVar?: string } | null>;
  provider?: { type: string; options: Record<string, unknown> };
  useApiSocket?: boolean;
  pullRefreshAfter?: string;
  extensions: Record<string, unknown>; // x-* keys of the service
}

export interface DeviceMapping {
  source: string;
  target: string;
  permissions: string;
}

export interface BlkioConfig {
  weight?: number;
  weightDevice: { path: string; weight: number }[];
  deviceReadBps: { path: string; rate: Bytes }[];
  deviceReadIops: { path: string; rate: number }[];
  deviceWriteBps: { path: string; rate: Bytes }[];
  deviceWriteIops: { path: string; rate: number }[];
}

export interface Hook {
  command: string[];
  user?: string;
  privileged?: boolean;
  workingDir?: string;
  environment: Record<string, string>;
  image?: string;
  perReplica?: boolean;
}

/** A top-level model (Docker Model Runner): printed by `config`, refused at `up`. */
export interface Model {
  key: string;
  name?: string;
  model: string;
  contextSize?: number;
  runtimeFlags: string[];
}

export interface EnvFileRef {
  path: string;
  required: boolean;
  format?: string;
}

export interface BuildConfig {
  context: string; // absolute path (or URL)
  dockerfile: string; // relative to context, default "Dockerfile"
  dockerfileInline?: string;
  args: Record<string, string | null>;
  target?: string;
  labels: Record<string, string>;
  cacheFrom: string[];
  network?: string;
  shmSize?: Bytes;
  extraHosts: string[];
  tags: string[];
  platforms: string[];
  noCache?: boolean;
  pull?: boolean;
  /** build.secrets: top-level secrets a RUN --mount=type=secret can read (id = target, else source) */
  secrets?: ServiceFileRef[];
  /** build.ssh: "default", "id" or "id=/path/to/agent.sock" */
  ssh?: string[];
  /** build.additional_contexts: name → absolute directory, "docker-image://ref" or "service:name" */
  additionalContexts?: Record<string, string>;
  cacheTo?: string[];
  privileged?: boolean;
  isolation?: string;
  ulimits?: Record<string, unknown>;
  entitlements?: string[];
  provenance?: string | boolean;
  sbom?: string | boolean;
}

export interface PortMapping {
  target: number; // container port (a range is expanded into one mapping per port)
  published?: string; // host port or range as a string ("8080", "8080-8081"), undefined = random
  hostIp?: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  mode: 'ingress' | 'host';
  name?: string;
  appProtocol?: string;
}

export interface VolumeMount {
  type: 'volume' | 'bind' | 'tmpfs' | 'npipe' | 'cluster' | 'image';
  source?: string; // volume key (type volume), absolute host path (bind); undefined = anonymous
  target: string;
  readOnly: boolean;
  consistency?: string;
  bind?: { createHostPath: boolean; propagation?: string; selinux?: string; recursive?: 'enabled' | 'disabled' | 'writable' | 'readonly' };
  volume?: { nocopy: boolean; subpath?: string; labels?: Record<string, string> };
  image?: { subpath?: string };
  tmpfs?: { size?: Bytes; mode?: number };
}

export interface ServiceNetwork {
  aliases: string[];
  ipv4Address?: string;
  ipv6Address?: string;
  priority?: number;
  gwPriority?: number;
  macAddress?: string;
  linkLocalIps?: string[];
  interfaceName?: string;
  driverOpts?: Record<string, string>;
}

export interface DependsOn {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
  restart: boolean;
  required: boolean;
}

export interface Healthcheck {
  disable: boolean;
  test?: string[]; // ["CMD", ...] | ["CMD-SHELL", "..."] | ["NONE"]
  interval?: Duration;
  timeout?: Duration;
  retries?: number;
  startPeriod?: Duration;
  startInterval?: Duration;
}

export interface Deploy {
  mode?: string;
  replicas?: number;
  labels: Record<string, string>;
  resources?: {
    limits?: { cpus?: number; memory?: Bytes; pids?: number };
    reservations?: { cpus?: number; memory?: Bytes; devices?: Record<string, unknown>[]; genericResources?: Record<string, unknown>[] };
  };
  restartPolicy?: { condition?: string; delay?: Duration; maxAttempts?: number; window?: Duration };
  // swarm-only settings: printed by `config`, ignored by `up` as docker compose does
  endpointMode?: string;
  placement?: Record<string, unknown>;
  updateConfig?: Record<string, unknown>;
  rollbackConfig?: Record<string, unknown>;
}

export interface Develop {
  watch: WatchRule[];
}

export interface WatchRule {
  action: 'sync' | 'rebuild' | 'restart' | 'sync+restart' | 'sync+exec';
  path: string; // absolute host path
  target?: string; // container path
  ignore: string[];
  include: string[];
  initialSync: boolean;
  exec?: { command: string[]; user?: string; privileged?: boolean; workingDir?: string; environment: Record<string, string> };
}

export interface ServiceFileRef {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

export interface Network {
  key: string; // key in the compose file
  name: string; // engine name: "<project>_<key>" unless `name:` or external
  driver?: string;
  driverOpts: Record<string, string>;
  external: boolean;
  internal: boolean;
  attachable: boolean;
  enableIpv4?: boolean;
  enableIpv6: boolean;
  ipam?: { driver?: string; config: { subnet?: string; gateway?: string; ipRange?: string; auxAddresses?: Record<string, string> }[] };
  labels: Record<string, string>;
}

export interface Volume {
  key: string;
  name: string; // engine name: "<project>_<key>" unless `name:` or external
  driver?: string;
  driverOpts: Record<string, string>;
  external: boolean;
  labels: Record<string, string>;
}

export interface SecretOrConfig {
  key: string;
  name: string;
  file?: string; // absolute
  environment?: string;
  content?: string;
  external: boolean;
  labels: Record<string, string>;
  driver?: string;
  driverOpts?: Record<string, string>;
  templateDriver?: string;
}

/** Options that select and shape a project, shared by the CLI and the API. */
export interface LoadOptions {
  files?: string[]; // -f; "-" = stdin
  projectName?: string; // -p
  projectDirectory?: string; // --project-directory
  profiles?: string[]; // --profile
  envFiles?: string[]; // --env-file
  environment?: Record<string, string | undefined>; // defaults to process.env
  cwd?: string; // defaults to process.cwd()
  interpolate?: boolean; // default true
  stdin?: string; // contents of "-" when files include it (tests)
  services?: string[]; // services targeted on the command line: their profiles are activated
}
