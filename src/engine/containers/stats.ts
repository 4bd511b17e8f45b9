// GET /containers/{id}/stats: memory, CPU and pids from the container's cgroup (v1 controllers or v2 unified),
// in Docker's stats document shape, as `docker stats` reads it.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { cgroupV2, containerCgroupDir } from '../runtime/cgroups.js';
import type { ContainerRecord } from './record.js';

const unified = cgroupV2();

async function readNumber(file: string): Promise<number | undefined> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return text === 'max' ? undefined : Number(text);
  } catch {
    return undefined;
  }
}

async function systemCpuNs(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const jiffies = line
    .split(/\s+/)
    .slice(1, 8)
    .reduce((s, v) => s + Number(v), 0);
  return jiffies * 1e7; // USER_HZ = 100
}

export interface StatsSample {
  cpuNs: number;
  systemNs: number;
}

export async function containerStats(
  rec: ContainerRecord,
  previous?: StatsSample,
): Promise<{ doc: Record<string, unknown>; sample: StatsSample }> {
  const dir = (controller: string) => containerCgroupDir(rec.id, controller);
  let memUsage: number | undefined;
  let memLimit: number | undefined;
  let cpuNs = 0;
  let pids: number | undefined;
  let pidsLimit: number | undefined;
  if (unified) {
    const cg = dir('');
    memUsage = await readNumber(`${cg}/memory.current`);
    memLimit = await readNumber(`${cg}/memory.max`);
    try {
      const usec = /usage_usec (\d+)/.exec(await readFile(`${cg}/cpu.stat`, 'utf8'))?.[1];
      cpuNs = Number(usec ?? 0) * 1000;
    } catch {
      /* stopped */
    }
    pids = await readNumber(`${cg}/pids.current`);
    pidsLimit = await readNumber(`${cg}/pids.max`);
  } else {
    memUsage = await readNumber(`${dir('memory')}/memory.usage_in_bytes`);
    memLimit = await readNumber(`${dir('memory')}/memory.limit_in_bytes`);
    cpuNs = (await readNumber(`${dir('cpuacct')}/cpuacct.usage`)) ?? 0;
    pids = await readNumber(`${dir('pids')}/pids.current`);
    pidsLimit = await readNumber(`${dir('pids')}/pids.max`);
  }
  const systemNs = await systemCpuNs();
  const hostMem = os.totalmem();
  const cpus = os.cpus().length;
  const cpuStats = (cpu: number, system: number) => ({
    cpu_usage: { total_usage: cpu, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    system_cpu_usage: system,
    online_cpus: cpus,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  });
  const doc = {
    read: new Date().toISOString(),
    preread: previous ? new Date(Date.now() - 1000).toISOString() : '0001-01-01T00:00:00Z',
    id: rec.id,
    name: rec.name,
    pids_stats: { current: pids ?? 0, ...(pidsLimit ? { limit: pidsLimit } : {}) },
    memory_stats: rec.state.running ? { usage: memUsage ?? 0, limit: memLimit && memLimit < hostMem ? memLimit : hostMem, stats: {} } : {},
    cpu_stats: cpuStats(cpuNs, systemNs),
    precpu_stats: previous ? cpuStats(previous.cpuNs, previous.systemNs) : { cpu_usage: { total_usage: 0 }, throttling_data: {} },
    blkio_stats: { io_service_bytes_recursive: null },
    num_procs: 0,
    storage_stats: {},
    networks: {},
  };
  return { doc, sample: { cpuNs, systemNs } };
}
