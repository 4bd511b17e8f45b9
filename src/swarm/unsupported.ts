// What a compose file may say that Swarm cannot do: one warning per key and service, as docker stack
// prints them, so nothing is dropped silently. Keys Swarm has no use for at all (expose, develop,
// attach, profiles) are not reported: they describe nothing a swarm task would do differently.
import type { Service } from '../model/types.js';

type Check = [key: string, present: (s: Service) => boolean, why?: string];

const set = (v: unknown) =>
  v !== undefined &&
  v !== null &&
  !(Array.isArray(v) && v.length === 0) &&
  !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

const CHECKS: Check[] = [
  ['build', (s) => !!s.build, 'every node pulls the image: "up --build" builds and pushes it first'],
  ['depends_on', (s) => Object.keys(s.dependsOn).length > 0, 'swarm starts services in any order'],
  ['container_name', (s) => set(s.containerName)],
  ['links', (s) => set(s.links)],
  ['external_links', (s) => set(s.externalLinks)],
  ['volumes_from', (s) => set(s.volumesFrom)],
  ['network_mode', (s) => set(s.networkMode)],
  ['privileged', (s) => !!s.privileged],
  ['pid', (s) => set(s.pid)],
  ['ipc', (s) => set(s.ipc)],
  ['uts', (s) => set(s.uts)],
  ['userns_mode', (s) => set(s.usernsMode)],
  ['cgroup', (s) => set(s.cgroup)],
  ['cgroup_parent', (s) => set(s.cgroupParent)],
  ['devices', (s) => set(s.devices)],
  ['device_cgroup_rules', (s) => set(s.deviceCgroupRules)],
  ['security_opt', (s) => set(s.securityOpt)],
  ['shm_size', (s) => set(s.shmSize)],
  ['mac_address', (s) => set(s.macAddress)],
  ['domainname', (s) => set(s.domainname)],
  ['runtime', (s) => set(s.runtime)],
  ['platform', (s) => set(s.platform)],
  ['pull_policy', (s) => set(s.pullPolicy), 'nodes pull the image the service names'],
  ['cpu_shares', (s) => set(s.cpuShares)],
  ['cpu_quota', (s) => set(s.cpuQuota)],
  ['cpu_period', (s) => set(s.cpuPeriod)],
  ['cpu_rt_runtime', (s) => set(s.cpuRtRuntime)],
  ['cpu_rt_period', (s) => set(s.cpuRtPeriod)],
  ['cpu_count', (s) => set(s.cpuCount)],
  ['cpu_percent', (s) => set(s.cpuPercent)],
  ['cpuset', (s) => set(s.cpuset)],
  ['mem_reservation', (s) => set(s.memReservation), 'use deploy.resources.reservations.memory'],
  ['memswap_limit', (s) => set(s.memswapLimit)],
  ['mem_swappiness', (s) => set(s.memSwappiness)],
  ['oom_score_adj', (s) => set(s.oomScoreAdj)],
  ['oom_kill_disable', (s) => !!s.oomKillDisable],
  ['storage_opt', (s) => set(s.storageOpt)],
  ['blkio_config', (s) => set(s.blkioConfig)],
  ['gpus', (s) => set(s.gpus), 'use deploy.resources.reservations.generic_resources'],
  ['credential_spec', (s) => set(s.credentialSpec)],
  ['post_start', (s) => set(s.postStart)],
  ['pre_stop', (s) => set(s.preStop)],
  ['pre_start', (s) => set(s.preStart)],
  ['models', (s) => set(s.models)],
  ['provider', (s) => set(s.provider)],
  ['use_api_socket', (s) => !!s.useApiSocket],
  ['annotations', (s) => set(s.annotations)],
  [
    'deploy.resources.reservations.devices',
    (s) => set(s.deploy?.resources?.reservations?.devices),
    'use deploy.resources.reservations.generic_resources',
  ],
  [
    'ports[].host_ip',
    (s) => s.ports.some((p) => p.hostIp && p.hostIp !== '0.0.0.0' && p.hostIp !== '::'),
    'swarm publishes on every address',
  ],
  [
    'networks.*.ipv4_address/ipv6_address',
    (s) => Object.values(s.networks).some((n) => !!(n?.ipv4Address || n?.ipv6Address)),
    'swarm allocates task addresses',
  ],
  ['networks.*.mac_address', (s) => Object.values(s.networks).some((n) => !!n?.macAddress)],
];

/** `service "web": build is not supported by Swarm and is ignored (every node pulls …)`, one per key. */
export function unsupportedWarnings(service: Service, opts: { built?: boolean } = {}): string[] {
  // with --build the image is built and pushed before the deploy: `build:` is honoured, not ignored
  return CHECKS.filter(([key, present]) => present(service) && !(key === 'build' && opts.built)).map(
    ([key, , why]) => `service "${service.name}": ${key} is not supported by Swarm and is ignored${why ? ` (${why})` : ''}`,
  );
}
