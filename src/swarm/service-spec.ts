// One compose service → one Swarm service spec, following docker stack deploy's conversion
// (cli/compose/convert/service.go) and Compose's where it goes further (env_file, tmpfs, init,
// service-level cpus/mem_limit as limits). Pure: every input read from disk or the engine is passed in.
import type { PortMapping, Project, Service, VolumeMount } from '../model/types.js';
import { UserError } from '../errors.js';
import { durationNs } from '../reconcile/duration.js';
import { SWARM_LABEL, stackName } from './labels.js';
import type {
  SwarmContainerSpec,
  SwarmFileReference,
  SwarmGenericResource,
  SwarmMount,
  SwarmPort,
  SwarmServiceSpec,
  SwarmUpdateConfig,
} from './spec-types.js';
import { byCodepoint } from '../codepoint-order.js';

export interface ServiceInputs {
  /** the service's environment with env_file and pass-through variables resolved */
  environment: Record<string, string>;
  /** the image reference to deploy (pinned by digest when it could be resolved) */
  image: string;
  /** object names for the secrets and configs, by key (content-hash names, or the external name) */
  secretNames: Record<string, string>;
  configNames: Record<string, string>;
  /** --scale override */
  replicas?: number;
}

type Raw = Record<string, unknown>;
const isRaw = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = <T extends object>(o: T): T | undefined => (Object.values(o).some((v) => v !== undefined) ? o : undefined);
const nonEmptyList = <T>(l: T[] | undefined): T[] | undefined => (l && l.length ? l : undefined);
const nonEmptyMap = (m: Record<string, string> | undefined) => (m && Object.keys(m).length ? m : undefined);

function fail(service: Service, message: string): never {
  throw new UserError(`service "${service.name}": ${message}`);
}

export function serviceSpec(project: Project, service: Service, inputs: ServiceInputs): SwarmServiceSpec {
  const imageAsWritten = service.image ?? fail(service, 'Swarm needs an image every node can pull: add `image:` (a registry reference)');
  const deploy = service.deploy;
  return withoutUndefined({
    Name: stackName(project.name, service.name),
    Labels: { ...deploy?.labels, [SWARM_LABEL.image]: imageAsWritten, [SWARM_LABEL.namespace]: project.name },
    TaskTemplate: {
      ContainerSpec: containerSpec(project, service, inputs),
      Resources: resources(service),
      RestartPolicy: restartPolicy(service),
      Placement: placement(service),
      Networks: networks(project, service),
      LogDriver: service.logging?.driver
        ? { Name: service.logging.driver, ...(nonEmptyMap(service.logging.options) ? { Options: service.logging.options } : {}) }
        : undefined,
    },
    Mode: mode(service, inputs.replicas),
    UpdateConfig: updateConfig(service, 'update_config', deploy?.updateConfig),
    RollbackConfig: updateConfig(service, 'rollback_config', deploy?.rollbackConfig),
    EndpointSpec: endpointSpec(service),
  });
}

/** The spec as the API gets it: fields left undefined are absent (and so print and compare cleanly). */
function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutUndefined) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, withoutUndefined(v)]),
    ) as T;
  }
  return value;
}

function containerSpec(project: Project, service: Service, inputs: ServiceInputs): SwarmContainerSpec {
  const h = service.healthcheck;
  return {
    Image: inputs.image,
    Labels: { ...service.labels, [SWARM_LABEL.namespace]: project.name },
    Command: service.entrypoint ?? undefined, // docker's naming: Command is the entrypoint, Args the command
    Args: service.command ?? undefined,
    Hostname: service.hostname,
    Env: nonEmptyList(
      Object.entries(inputs.environment)
        .map(([k, v]) => `${k}=${v}`)
        .sort(),
    ),
    Dir: service.workingDir,
    User: service.user,
    Groups: nonEmptyList(service.groupAdd),
    Init: service.init,
    TTY: service.tty,
    OpenStdin: service.stdinOpen,
    ReadOnly: service.readOnly,
    Mounts: nonEmptyList([...service.volumes.map((m) => mount(project, service, m)), ...service.tmpfs.map(tmpfsMount)]),
    StopSignal: service.stopSignal,
    StopGracePeriod: durationNs(service.stopGracePeriod),
    HealthCheck: h
      ? h.disable
        ? { Test: ['NONE'] }
        : nonEmpty({
            Test: h.test,
            Interval: durationNs(h.interval),
            Timeout: durationNs(h.timeout),
            Retries: h.retries,
            StartPeriod: durationNs(h.startPeriod),
            StartInterval: durationNs(h.startInterval),
          })
      : undefined,
    // the engine's hosts-file form: "IP name"
    Hosts: nonEmptyList(
      service.extraHosts.map((e) => {
        const i = e.indexOf('=');
        return `${e.slice(i + 1)} ${e.slice(0, i)}`;
      }),
    ),
    DNSConfig: nonEmpty({
      Nameservers: nonEmptyList(service.dns),
      Search: nonEmptyList(service.dnsSearch),
      Options: nonEmptyList(service.dnsOpt),
    }),
    Secrets: nonEmptyList(service.secrets.map((r) => fileReference(service, 'secret', r, inputs.secretNames))),
    Configs: nonEmptyList(service.configs.map((r) => fileReference(service, 'config', r, inputs.configNames))),
    Isolation: service.isolation,
    Sysctls: nonEmptyMap(service.sysctls),
    CapabilityAdd: nonEmptyList(service.capAdd),
    CapabilityDrop: nonEmptyList(service.capDrop),
    Ulimits: nonEmptyList(
      Object.entries(service.ulimits)
        .map(([Name, l]) => ({ Name, Soft: l.soft, Hard: l.hard }))
        .sort((a, b) => byCodepoint(a.Name, b.Name)),
    ),
  };
}

function fileReference(
  service: Service,
  kind: 'secret' | 'config',
  ref: Service['secrets'][number],
  names: Record<string, string>,
): SwarmFileReference {
  const name = names[ref.source] ?? fail(service, `${kind} "${ref.source}" is not defined`);
  // secrets land in /run/secrets/<target>; a config without a target at /<source>, as docker stack does
  const target = ref.target ?? (kind === 'secret' ? ref.source : `/${ref.source}`);
  const file = { Name: target, UID: ref.uid ?? '0', GID: ref.gid ?? '0', Mode: ref.mode ?? 0o444 };
  return kind === 'secret' ? { File: file, SecretName: name } : { File: file, ConfigName: name };
}

function mount(project: Project, service: Service, m: VolumeMount): SwarmMount {
  switch (m.type) {
    case 'volume': {
      const def = m.source ? project.volumes[m.source] : undefined;
      if (m.source && !def) fail(service, `volume "${m.source}" is not defined in the top-level volumes`);
      return {
        Type: 'volume',
        Source: def?.name,
        Target: m.target,
        ReadOnly: m.readOnly || undefined,
        // a mount template: each node creates the volume the first time one of its tasks needs it
        VolumeOptions: nonEmpty({
          NoCopy: m.volume?.nocopy || undefined,
          Labels:
            def && !def.external
              ? { ...def.labels, ...m.volume?.labels, [SWARM_LABEL.namespace]: project.name }
              : nonEmptyMap(m.volume?.labels),
          DriverConfig:
            def && !def.external && (def.driver || Object.keys(def.driverOpts).length)
              ? { Name: def.driver ?? 'local', ...(nonEmptyMap(def.driverOpts) ? { Options: def.driverOpts } : {}) }
              : undefined,
          Subpath: m.volume?.subpath,
        }),
      };
    }
    case 'bind':
      return {
        Type: 'bind',
        Source: m.source,
        Target: m.target,
        ReadOnly: m.readOnly || undefined,
        BindOptions: m.bind?.propagation ? { Propagation: m.bind.propagation } : undefined,
      };
    case 'tmpfs':
      return {
        Type: 'tmpfs',
        Target: m.target,
        ReadOnly: m.readOnly || undefined,
        TmpfsOptions: nonEmpty({ SizeBytes: m.tmpfs?.size, Mode: m.tmpfs?.mode }),
      };
    default:
      return fail(service, `volumes of type "${m.type}" cannot be used on Swarm`);
  }
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/** `tmpfs: /run:size=64k,mode=1777` as a tmpfs mount (the engine's --tmpfs options, the two Swarm knows). */
export function tmpfsMount(entry: string): SwarmMount {
  const colon = entry.indexOf(':');
  const target = colon < 0 ? entry : entry.slice(0, colon);
  const options = colon < 0 ? '' : entry.slice(colon + 1);
  const out: SwarmMount = { Type: 'tmpfs', Target: target };
  const opts: NonNullable<SwarmMount['TmpfsOptions']> = {};
  for (const opt of options.split(',').filter(Boolean)) {
    const [k, v = ''] = opt.split('=');
    if (k === 'size') {
      const m = /^(\d+)([a-z]*)$/i.exec(v);
      if (!m || SIZE_UNITS[m[2]!.toLowerCase()] === undefined) throw new UserError(`tmpfs "${entry}": invalid size "${v}"`);
      opts.SizeBytes = Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!;
    } else if (k === 'mode') {
      if (!/^[0-7]{1,4}$/.test(v)) throw new UserError(`tmpfs "${entry}": invalid mode "${v}" (octal)`);
      opts.Mode = parseInt(v, 8);
    } else if (k === 'ro') out.ReadOnly = true;
    // other mount options (noexec, nosuid …) have no field in a Swarm tmpfs mount
  }
  if (Object.keys(opts).length) out.TmpfsOptions = opts;
  return out;
}

function resources(service: Service): SwarmServiceSpec['TaskTemplate']['Resources'] {
  const r = service.deploy?.resources;
  const nano = (cpus: number | undefined) => (cpus === undefined ? undefined : Math.round(cpus * 1e9));
  const limits = nonEmpty({
    NanoCPUs: nano(r?.limits?.cpus ?? service.cpus),
    MemoryBytes: r?.limits?.memory ?? service.memLimit,
    Pids: r?.limits?.pids ?? service.pidsLimit,
  });
  const reservations = nonEmpty({
    NanoCPUs: nano(r?.reservations?.cpus),
    MemoryBytes: r?.reservations?.memory,
    GenericResources: nonEmptyList(r?.reservations?.genericResources?.map((g) => genericResource(service, g))),
  });
  return nonEmpty({ Limits: limits, Reservations: reservations });
}

function genericResource(service: Service, g: Raw): SwarmGenericResource {
  const discrete = g.discrete_resource_spec,
    named = g.named_resource_spec;
  if (isRaw(discrete) && typeof discrete.kind === 'string')
    return { DiscreteResourceSpec: { Kind: discrete.kind, Value: Number(discrete.value) } };
  if (isRaw(named) && typeof named.kind === 'string') return { NamedResourceSpec: { Kind: named.kind, Value: String(named.value) } };
  return fail(
    service,
    'deploy.resources.reservations.generic_resources: each entry needs discrete_resource_spec or named_resource_spec with a kind',
  );
}

const RESTART_CONDITIONS = ['none', 'on-failure', 'any'];

function restartPolicy(service: Service): SwarmServiceSpec['TaskTemplate']['RestartPolicy'] {
  const rp = service.deploy?.restartPolicy;
  if (rp) {
    if (rp.condition && !RESTART_CONDITIONS.includes(rp.condition))
      fail(service, `deploy.restart_policy.condition "${rp.condition}": use none, on-failure or any`);
    return nonEmpty({ Condition: rp.condition, Delay: durationNs(rp.delay), MaxAttempts: rp.maxAttempts, Window: durationNs(rp.window) });
  }
  // `restart:` converted as docker stack does when there is no restart_policy
  const restart = service.restart;
  if (!restart) return undefined;
  if (restart === 'no') return { Condition: 'none' };
  if (restart === 'always' || restart === 'unless-stopped') return { Condition: 'any' };
  const m = /^on-failure(?::(\d+))?$/.exec(restart);
  if (m) return { Condition: 'on-failure', ...(m[1] ? { MaxAttempts: Number(m[1]) } : {}) };
  return fail(service, `restart "${restart}": use no, always, unless-stopped or on-failure[:N]`);
}

function placement(service: Service): SwarmServiceSpec['TaskTemplate']['Placement'] {
  const p = service.deploy?.placement;
  if (!p) return undefined;
  const constraints = p.constraints;
  if (constraints !== undefined && !(Array.isArray(constraints) && constraints.every((c) => typeof c === 'string')))
    fail(service, 'deploy.placement.constraints must be a list of strings');
  const prefs = p.preferences;
  if (prefs !== undefined && !(Array.isArray(prefs) && prefs.every((x) => isRaw(x) && typeof x.spread === 'string')))
    fail(service, 'deploy.placement.preferences must be a list of {spread: <label>}');
  const max = p.max_replicas_per_node;
  if (max !== undefined && !(Number.isInteger(max) && (max as number) >= 0))
    fail(service, 'deploy.placement.max_replicas_per_node must be a non-negative integer');
  return nonEmpty({
    Constraints: nonEmptyList(constraints as string[] | undefined),
    Preferences: nonEmptyList((prefs as { spread: string }[] | undefined)?.map((x) => ({ Spread: { SpreadDescriptor: x.spread } }))),
    MaxReplicas: max as number | undefined,
  });
}

function networks(project: Project, service: Service): SwarmServiceSpec['TaskTemplate']['Networks'] {
  if (service.networkMode) return undefined; // reported by unsupportedWarnings
  return Object.entries(service.networks)
    .sort(([a], [b]) => byCodepoint(a, b))
    .map(([key, attachment]) => {
      const net = project.networks[key] ?? fail(service, `network "${key}" is not defined`);
      // the service name resolves on every network it joins, as with docker stack
      const aliases = [...new Set([service.name, ...(attachment?.aliases ?? [])])];
      return { Target: net.name, Aliases: aliases, ...(nonEmptyMap(attachment?.driverOpts) ? { DriverOpts: attachment!.driverOpts } : {}) };
    });
}

const MODES = ['replicated', 'global', 'replicated-job', 'global-job'];

function mode(service: Service, replicasOverride: number | undefined): SwarmServiceSpec['Mode'] {
  const m = service.deploy?.mode ?? 'replicated';
  const replicas = replicasOverride ?? service.scale ?? service.deploy?.replicas ?? 1;
  switch (m) {
    case 'replicated':
      return { Replicated: { Replicas: replicas } };
    case 'global':
      return { Global: {} };
    case 'replicated-job':
      return { ReplicatedJob: { MaxConcurrent: replicas, TotalCompletions: replicas } };
    case 'global-job':
      return { GlobalJob: {} };
    default:
      return fail(service, `deploy.mode "${m}": use ${MODES.join(', ')}`);
  }
}

function updateConfig(service: Service, key: string, raw: Raw | undefined): SwarmUpdateConfig | undefined {
  if (!raw) return undefined;
  const failureActions = key === 'update_config' ? ['continue', 'pause', 'rollback'] : ['continue', 'pause'];
  const num = (k: string) => {
    const v = raw[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || v < 0) fail(service, `deploy.${key}.${k} must be a non-negative number`);
    return v;
  };
  const str = (k: string, allowed: string[]) => {
    const v = raw[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !allowed.includes(v)) fail(service, `deploy.${key}.${k} "${String(v)}": use ${allowed.join(', ')}`);
    return v;
  };
  const dur = (k: string) => (raw[k] === undefined ? undefined : durationNs(String(raw[k])));
  return nonEmpty({
    Parallelism: num('parallelism'),
    Delay: dur('delay'),
    FailureAction: str('failure_action', failureActions),
    Monitor: dur('monitor'),
    MaxFailureRatio: num('max_failure_ratio'),
    Order: str('order', ['start-first', 'stop-first']),
  });
}

function endpointSpec(service: Service): SwarmServiceSpec['EndpointSpec'] {
  const m = service.deploy?.endpointMode;
  if (m !== undefined && m !== 'vip' && m !== 'dnsrr') fail(service, `deploy.endpoint_mode "${m}": use vip or dnsrr`);
  const ports = service.ports.map((p) => port(service, p));
  if (m === 'dnsrr' && ports.some((p) => p.PublishMode === 'ingress')) {
    fail(service, 'endpoint_mode dnsrr cannot publish ports through the ingress routing mesh: give each port `mode: host`');
  }
  return nonEmpty({ Mode: m as 'vip' | 'dnsrr' | undefined, Ports: nonEmptyList(ports) });
}

function port(service: Service, p: PortMapping): SwarmPort {
  let published: number | undefined;
  if (p.published !== undefined && p.published !== '') {
    const m = /^(\d+)(?:-(\d+))?$/.exec(p.published);
    if (!m || (m[2] !== undefined && m[2] !== m[1]))
      fail(service, `port ${p.published}:${p.target}: Swarm publishes one port per target, not a range`);
    published = Number(m[1]);
    if (published < 1 || published > 65535) fail(service, `port ${p.published}: out of range`);
  }
  return {
    ...(p.name ? { Name: p.name } : {}),
    Protocol: p.protocol,
    TargetPort: p.target,
    ...(published !== undefined ? { PublishedPort: published } : {}),
    PublishMode: p.mode,
  };
}
