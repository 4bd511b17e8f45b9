// docker update: new resource limits and restart policy, checked as Docker checks them. Pure: the service
// applies the result to the running container and stores it.
import { invalid } from '../errors.js';
import { linuxResources, type ResourceLimits } from '../runtime/spec.js';
import type { HostConfig } from './docker-config.js';

/** The restart policy names Docker accepts, at create and at update. */
export const RESTART_POLICIES = ['', 'no', 'always', 'on-failure', 'unless-stopped'];

const LIMITS = [
  'Memory',
  'MemorySwap',
  'MemoryReservation',
  'NanoCpus',
  'CpuShares',
  'CpuPeriod',
  'CpuQuota',
  'CpusetCpus',
  'CpusetMems',
  'PidsLimit',
  'BlkioWeight',
  'KernelMemory',
];

/** The HostConfig after the update request `body` (Docker's UpdateConfig), or an `invalid` error. */
export function updatedHostConfig(hc: HostConfig, body: Record<string, any>): HostConfig {
  if (body.Memory !== undefined && body.Memory > 0 && body.Memory < 6 * 1024 * 1024) throw invalid('Minimum memory limit allowed is 6MB');
  const restart = body.RestartPolicy as { Name?: string; MaximumRetryCount?: number } | undefined;
  if (restart?.Name && !RESTART_POLICIES.includes(restart.Name)) throw invalid(`invalid restart policy: ${restart.Name}`);
  if (restart?.Name && restart.Name !== 'no' && hc.AutoRemove)
    throw invalid('Restart policy cannot be updated because AutoRemove is enabled for the container');
  const next: HostConfig = { ...hc };
  for (const k of LIMITS) if (body[k] !== undefined && body[k] !== null && body[k] !== '') next[k] = body[k];
  if (restart?.Name !== undefined) next.RestartPolicy = { Name: restart.Name, MaximumRetryCount: restart.MaximumRetryCount ?? 0 };
  if ((next.Memory ?? 0) > 0 && (next.MemorySwap ?? 0) > 0 && next.MemorySwap! < next.Memory!)
    throw invalid('Minimum memoryswap limit should be larger than memory limit, see usage');
  return next;
}

/** HostConfig's resource limits as the OCI spec builder takes them, at start and at update. */
export function resourceLimits(hc: HostConfig): ResourceLimits {
  return {
    memory: hc.Memory,
    memorySwap: hc.MemorySwap,
    nanoCpus: hc.NanoCpus,
    cpuShares: hc.CpuShares,
    cpuQuota: hc.CpuQuota,
    cpuPeriod: hc.CpuPeriod,
    cpusetCpus: hc.CpusetCpus || undefined,
    cpusetMems: hc.CpusetMems || undefined,
    pidsLimit: hc.PidsLimit ?? undefined,
    deviceCgroupRules: hc.DeviceCgroupRules ?? undefined,
  };
}

/** The limits of `hc` as the runtime's `update` takes them (devices are not updatable). */
export function updatableResources(hc: HostConfig): ReturnType<typeof linuxResources> {
  const resources = linuxResources(resourceLimits(hc));
  delete resources.devices;
  return resources;
}
