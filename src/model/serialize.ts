// The canonical model as the document `docker compose config` (v2) prints: snake_case keys in
// compose-go's field order, `name:` first, services sorted, long-form ports with the published port
// as a string, durations like "1m30s", byte sizes as strings, environment as a map.
import { writeYaml } from './yaml-writer.js';
import type {
  BlkioConfig,
  BuildConfig,
  Deploy,
  Hook,
  Develop,
  Healthcheck,
  Network,
  Project,
  SecretOrConfig,
  Service,
  ServiceNetwork,
  Volume,
  VolumeMount,
} from './types.js';

type Doc = Record<string, unknown>;

/**
 * Drops undefined, empty lists and empty maps (Go's `omitempty`); `keep` names keys kept even when empty.
 * The fields come as one object, in their order, rather than as a list of pairs: a service has ~100 fields, and
 * `config` of a big file serializes hundreds of services.
 */
function compact(fields: Doc, keep: string[] = []): Doc {
  const out: Doc = {};
  for (const k in fields) {
    const v = fields[k];
    if (v === undefined) continue;
    if (!keep.includes(k)) {
      if (v === '') continue;
      if (Array.isArray(v) && v.length === 0) continue;
      if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    }
    out[k] = v;
  }
  return out;
}

const sortedMap = <T>(m: Record<string, T>, f: (v: T, k: string) => unknown = (v) => v): Doc => {
  const out: Doc = {};
  for (const k of Object.keys(m).sort()) {
    const v = f(m[k]!, k);
    // a key the file names __proto__ is a key like any other, not the map's prototype
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  return out;
};
const bytes = (n: number | undefined) => (n === undefined ? undefined : String(n));
const trueOnly = (b: boolean | undefined) => (b ? true : undefined);

export function serializeProject(project: Project): Doc {
  return compact(
    {
      name: project.name,
      services: sortedMap(project.services, serializeService),
      networks: sortedMap(project.networks, serializeNetwork),
      volumes: sortedMap(project.volumes, serializeVolume),
      secrets: sortedMap(project.secrets, serializeSecretOrConfig),
      configs: sortedMap(project.configs, serializeSecretOrConfig),
      models:
        project.models &&
        sortedMap(project.models, (m) =>
          compact({
            name: m.name,
            model: m.model,
            context_size: m.contextSize,
            runtime_flags: m.runtimeFlags,
          }),
        ),
      ...project.extensions,
    },
    ['services'],
  );
}

export function serializeService(s: Service): Doc {
  return compact(
    {
      profiles: s.profiles,
      annotations: sortedMap(s.annotations),
      attach: s.attach,
      blkio_config: s.blkioConfig && serializeBlkio(s.blkioConfig),
      build: s.build && serializeBuild(s.build),
      develop: s.develop && serializeDevelop(s.develop),
      cap_add: s.capAdd,
      cap_drop: s.capDrop,
      cgroup: s.cgroup,
      cgroup_parent: s.cgroupParent,
      cpu_count: s.cpuCount,
      cpu_percent: s.cpuPercent,
      cpu_period: s.cpuPeriod,
      cpu_quota: s.cpuQuota,
      cpu_rt_period: s.cpuRtPeriod,
      cpu_rt_runtime: s.cpuRtRuntime,
      cpu_shares: s.cpuShares,
      cpus: s.cpus,
      cpuset: s.cpuset,
      command: s.command ?? undefined,
      configs: s.configs.map(fileRef),
      container_name: s.containerName,
      credential_spec: s.credentialSpec,
      depends_on: sortedMap(s.dependsOn, (d) =>
        compact({
          condition: d.condition,
          restart: trueOnly(d.restart),
          required: d.required,
        }),
      ),
      deploy: s.deploy && serializeDeploy(s.deploy),
      devices: (s.devices ?? []).map((d) => ({ source: d.source, target: d.target, permissions: d.permissions })),
      device_cgroup_rules: s.deviceCgroupRules,
      dns: s.dns,
      dns_opt: s.dnsOpt,
      dns_search: s.dnsSearch,
      domainname: s.domainname,
      entrypoint: s.entrypoint ?? undefined,
      environment: sortedMap(s.environment),
      // env_file contents are already in environment; docker compose config leaves the key out too
      expose: s.expose,
      external_links: s.externalLinks,
      extra_hosts: s.extraHosts,
      gpus: s.gpus,
      group_add: s.groupAdd,
      hostname: s.hostname,
      healthcheck: s.healthcheck && serializeHealthcheck(s.healthcheck),
      image: s.image,
      init: s.init,
      ipc: s.ipc,
      isolation: s.isolation,
      labels: sortedMap(s.labels),
      links: s.links,
      logging:
        s.logging &&
        compact({
          driver: s.logging.driver,
          options: s.logging.options,
        }),
      mac_address: s.macAddress,
      mem_limit: bytes(s.memLimit),
      models:
        s.models &&
        sortedMap(s.models, (m) =>
          m && (m.endpointVar || m.modelVar)
            ? compact({
                endpoint_var: m.endpointVar,
                model_var: m.modelVar,
              })
            : null,
        ),
      mem_reservation: bytes(s.memReservation),
      mem_swappiness: s.memSwappiness,
      memswap_limit: bytes(s.memswapLimit),
      network_mode: s.networkMode,
      networks: sortedMap(s.networks, (n) => (n ? serializeServiceNetwork(n) : null)),
      oom_kill_disable: s.oomKillDisable,
      oom_score_adj: s.oomScoreAdj,
      pid: s.pid,
      pids_limit: s.pidsLimit,
      platform: s.platform,
      ports: s.ports.map((p) =>
        compact({
          name: p.name,
          mode: p.mode,
          host_ip: p.hostIp,
          target: p.target,
          published: p.published,
          protocol: p.protocol,
          app_protocol: p.appProtocol,
        }),
      ),
      post_start: (s.postStart ?? []).map(serializeHook),
      pre_start: (s.preStart ?? []).map(serializeHook),
      pre_stop: (s.preStop ?? []).map(serializeHook),
      privileged: trueOnly(s.privileged),
      provider:
        s.provider &&
        compact({
          type: s.provider.type,
          options: s.provider.options,
        }),
      pull_policy: s.pullPolicy,
      pull_refresh_after: s.pullRefreshAfter,
      read_only: trueOnly(s.readOnly),
      restart: s.restart,
      runtime: s.runtime,
      scale: s.scale !== undefined && s.scale !== 1 && s.deploy?.replicas === undefined ? s.scale : undefined,
      secrets: s.secrets.map(fileRef),
      security_opt: s.securityOpt,
      shm_size: bytes(s.shmSize),
      stdin_open: trueOnly(s.stdinOpen),
      stop_grace_period: s.stopGracePeriod,
      stop_signal: s.stopSignal,
      storage_opt: sortedMap(s.storageOpt ?? {}),
      sysctls: sortedMap(s.sysctls),
      tmpfs: s.tmpfs,
      tty: trueOnly(s.tty),
      ulimits: sortedMap(s.ulimits, (u) => (u.single && u.soft === u.hard ? u.soft : { soft: u.soft, hard: u.hard })),
      use_api_socket: s.useApiSocket,
      user: s.user,
      userns_mode: s.usernsMode,
      uts: s.uts,
      volumes: s.volumes.map(serializeMount),
      volumes_from: s.volumesFrom,
      working_dir: s.workingDir,
      ...s.extensions,
    },
    ['healthcheck'],
  );
}

function serializeBuild(b: BuildConfig): Doc {
  return compact({
    context: b.context,
    dockerfile: b.dockerfileInline !== undefined ? undefined : b.dockerfile,
    dockerfile_inline: b.dockerfileInline,
    args: sortedMap(b.args),
    labels: sortedMap(b.labels),
    cache_from: b.cacheFrom,
    cache_to: b.cacheTo,
    no_cache: trueOnly(b.noCache),
    network: b.network,
    pull: trueOnly(b.pull),
    target: b.target,
    shm_size: bytes(b.shmSize),
    extra_hosts: b.extraHosts,
    isolation: b.isolation,
    privileged: trueOnly(b.privileged),
    tags: b.tags,
    ulimits: b.ulimits,
    entitlements: b.entitlements,
    provenance: b.provenance,
    sbom: b.sbom,
    platforms: b.platforms,
    secrets: b.secrets?.map(fileRef),
    ssh: b.ssh,
    additional_contexts: b.additionalContexts && sortedMap(b.additionalContexts),
  });
}

function serializeHook(h: Hook): Doc {
  return compact({
    image: h.image,
    per_replica: h.perReplica,
    command: h.command,
    user: h.user,
    privileged: h.privileged,
    working_dir: h.workingDir,
    environment: sortedMap(h.environment),
  });
}

function serializeBlkio(b: BlkioConfig): Doc {
  const rates = (list: { path: string; rate: number }[], asBytes: boolean) =>
    list.map((r) => ({ path: r.path, rate: asBytes ? String(r.rate) : r.rate }));
  return compact({
    device_read_bps: rates(b.deviceReadBps, true),
    device_read_iops: rates(b.deviceReadIops, false),
    device_write_bps: rates(b.deviceWriteBps, true),
    device_write_iops: rates(b.deviceWriteIops, false),
    weight: b.weight,
    weight_device: b.weightDevice.map((w) => ({ path: w.path, weight: w.weight })),
  });
}

function serializeDevelop(d: Develop): Doc {
  return {
    watch: d.watch.map((w) =>
      compact({
        path: w.path,
        action: w.action,
        target: w.target,
        exec:
          w.exec &&
          compact({
            command: w.exec.command,
            user: w.exec.user,
            privileged: w.exec.privileged,
            working_dir: w.exec.workingDir,
            environment: w.exec.environment,
          }),
        include: w.include,
        ignore: w.ignore,
        initial_sync: trueOnly(w.initialSync),
      }),
    ),
  };
}

function serializeHealthcheck(h: Healthcheck): Doc {
  return compact({
    test: h.test,
    timeout: h.timeout,
    interval: h.interval,
    retries: h.retries,
    start_period: h.startPeriod,
    start_interval: h.startInterval,
    disable: trueOnly(h.disable && h.test?.[0] !== 'NONE'),
  });
}

function serializeDeploy(d: Deploy): Doc {
  const r = d.resources;
  return compact(
    {
      mode: d.mode,
      replicas: d.replicas,
      labels: sortedMap(d.labels),
      update_config: d.updateConfig,
      rollback_config: d.rollbackConfig,
      resources:
        r &&
        compact({
          limits:
            r.limits &&
            compact({
              cpus: r.limits.cpus,
              memory: bytes(r.limits.memory),
              pids: r.limits.pids,
            }),
          reservations:
            r.reservations &&
            compact({
              cpus: r.reservations.cpus,
              memory: bytes(r.reservations.memory),
              generic_resources: r.reservations.genericResources,
              devices: r.reservations.devices,
            }),
        }),
      restart_policy:
        d.restartPolicy &&
        compact({
          condition: d.restartPolicy.condition,
          delay: d.restartPolicy.delay,
          max_attempts: d.restartPolicy.maxAttempts,
          window: d.restartPolicy.window,
        }),
      placement: d.placement,
      endpoint_mode: d.endpointMode,
    },
    ['resources'],
  );
}

function serializeServiceNetwork(n: ServiceNetwork): Doc | null {
  const doc = compact({
    priority: n.priority,
    gw_priority: n.gwPriority,
    aliases: n.aliases,
    ipv4_address: n.ipv4Address,
    ipv6_address: n.ipv6Address,
    link_local_ips: n.linkLocalIps,
    interface_name: n.interfaceName,
    mac_address: n.macAddress,
    driver_opts: sortedMap(n.driverOpts ?? {}),
  });
  return Object.keys(doc).length ? doc : null;
}

function serializeMount(v: VolumeMount): Doc {
  return compact(
    {
      type: v.type,
      source: v.source,
      target: v.target,
      read_only: trueOnly(v.readOnly),
      consistency: v.consistency,
      bind:
        v.bind &&
        compact({
          propagation: v.bind.propagation,
          create_host_path: trueOnly(v.bind.createHostPath),
          recursive: v.bind.recursive,
          selinux: v.bind.selinux,
        }),
      volume:
        v.volume &&
        compact({
          labels: v.volume.labels && sortedMap(v.volume.labels),
          nocopy: trueOnly(v.volume.nocopy),
          subpath: v.volume.subpath,
        }),
      tmpfs:
        v.tmpfs &&
        compact({
          size: bytes(v.tmpfs.size),
          mode: v.tmpfs.mode,
        }),
      image:
        v.image &&
        compact({
          subpath: v.image.subpath,
        }),
    },
    ['volume'],
  );
}

function fileRef(r: { source: string; target?: string; uid?: string; gid?: string; mode?: number }): Doc {
  // compose-go prints a file mode as an octal string ("0440")
  return compact({
    source: r.source,
    target: r.target,
    uid: r.uid,
    gid: r.gid,
    mode: r.mode === undefined ? undefined : `0${r.mode.toString(8)}`,
  });
}

function serializeNetwork(n: Network): Doc {
  return compact({
    name: n.name,
    driver: n.driver,
    driver_opts: n.driverOpts,
    ipam:
      n.ipam &&
      compact({
        driver: n.ipam.driver,
        config: n.ipam.config.map((c) =>
          compact({
            subnet: c.subnet,
            ip_range: c.ipRange,
            gateway: c.gateway,
            aux_addresses: c.auxAddresses,
          }),
        ),
      }),
    external: trueOnly(n.external),
    internal: trueOnly(n.internal),
    attachable: trueOnly(n.attachable),
    labels: sortedMap(n.labels),
    enable_ipv4: n.enableIpv4,
    enable_ipv6: trueOnly(n.enableIpv6),
  });
}

function serializeVolume(v: Volume): Doc {
  return compact({
    name: v.name,
    driver: v.driver,
    driver_opts: v.driverOpts,
    external: trueOnly(v.external),
    labels: sortedMap(v.labels),
  });
}

function serializeSecretOrConfig(s: SecretOrConfig): Doc {
  return compact({
    name: s.name,
    file: s.file,
    environment: s.environment,
    content: s.content,
    external: trueOnly(s.external),
    labels: sortedMap(s.labels),
    driver: s.driver,
    driver_opts: s.driverOpts && sortedMap(s.driverOpts),
    template_driver: s.templateDriver,
  });
}

export function toYaml(doc: Doc): string {
  return writeYaml(doc);
}

export function toJson(doc: Doc): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
