// GET /containers/{id}/stats: memory, CPU and pids from the container's cgroup (v1 controllers or v2 unified),
// in Docker's stats document shape, as `docker stats` reads it.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { ContainerRecord } from './record.js';

const CG = '/sys/fs/cgroup';
const unified = existsSync(`${CG}/cgroup.controllers`);

async function readNumber(file: string): Promise<number | undefined> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return text === 'max' ? undefined : Number(text);
  } catch { return undefined; }
}

async function systemCpuNs(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const jiffies = line.split(/\s+/).slice(1, 8).reduce((s, v) => s + Number(v), 0);
  return jiffies * 1e7; // USER_HZ = 100
}

export interface StatsSample { cpuNs: number; systemNs: number }

export async function containerStats(rec: ContainerRecord, previous?: StatsSample): Promise<{ doc: Record<string, unknown>; sample: StatsSample }> {
  const cg = `tscompose/${rec.Id}`;
  let memUsage: number | undefined; let memLimit: number | undefined; let cpuNs = 0; let pids: number | undefined; let pidsLimit: number | undefined;
  if (unified) {
    memUsage = await readNumber(`${CG}/${cg}/memory.current`);
    memLimit = await readNumber(`${CG}/${cg}/memory.max`);
    try {
      const usec = /usage_usec (\d+)/.exec(await readFile(`${CG}/${cg}/cpu.stat`, 'utf8'))?.[1];
      cpuNs = Number(usec ?? 0) * 1000;
    } catch { /* stopped */ }
    pids = await readNumber(`${CG}/${cg}/pids.current`);
    pidsLimit = await readNumber(`${CG}/${cg}/pids.max`);
  } else {
    memUsage = await readNumber(`${CG}/memory/${cg}/memory.usage_in_bytes`);
    memLimit = await readNumber(`${CG}/memory/${cg}/memory.limit_in_bytes`);
    cpuNs = (await readNumber(`${CG}/cpuacct/${cg}/cpuacct.usage`)) ?? 0;
    pids = await readNumber(`${CG}/pids/${cg}/pids.current`);
    pidsLimit = await readNumber(`${CG}/pids/${cg}/pids.max`);
  }
  const systemNs = await systemCpuNs();
  const hostMem = os.totalmem();
  const cpus = os.cpus().length;
  const cpuStats = (cpu: number, system: number) => ({
    cpu_usage: { total_usage: cpu, usage_in_kernelmode: 0, usage_in_usermode: 0 }, system_cpu_usage: system, online_cpus: cpus,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  });
  const doc = {
    read: new Date().toISOString(), preread: previous ? new Date(Date.now() - 1000).toISOString() : '0001-01-01T00:00:00Z',
    id: rec.Id, name: rec.Name,
    pids_stats: { current: pids ?? 0, ...(pidsLimit ? { limit: pidsLimit } : {}) },
    memory_stats: rec.State.Running ? { usage: memUsage ?? 0, limit: memLimit && memLimit < hostMem ? memLimit : hostMem, stats: {} } : {},
    cpu_stats: cpuStats(cpuNs, systemNs),
    precpu_stats: previous ? cpuStats(previous.cpuNs, previous.systemNs) : { cpu_usage: { total_usage: 0 }, throttling_data: {} },
    blkio_stats: { io_service_bytes_recursive: null }, num_procs: 0, storage_stats: {}, networks: {},
  };
  return { doc, sample: { cpuNs, systemNs } };
}
