// Where a container's cgroup lives and what it says after the container is gone (cgroupfs driver).
// On cgroup v2 (unified) the runtime's cgroup is a leaf below one the engine keeps per container,
// /sys/fs/cgroup/tscompose/<id>/ctr: the runtime removes the leaf when the container exits, and the parent's
// memory.events (hierarchical) still counts the leaf's OOM kills until the engine reads it and removes the parent.
// On v1/hybrid hosts the runtime's cgroup is /tscompose/<id> in every controller, as before.
import { existsSync } from 'node:fs';
import { readFile, rmdir, writeFile } from 'node:fs/promises';

export const CGROUP_ROOT = '/sys/fs/cgroup';
export const cgroupV2 = (): boolean => existsSync(`${CGROUP_ROOT}/cgroup.controllers`);
const unified = cgroupV2();

/** linux.cgroupsPath for a container's config.json. */
export const containerCgroupsPath = (id: string, v2 = unified): string => (v2 ? `/tscompose/${id}/ctr` : `/tscompose/${id}`);

/** The directory of a running container's cgroup in `controller`'s hierarchy (ignored on v2). */
export function containerCgroupDir(id: string, controller: string, v2 = unified): string {
  return v2 ? `${CGROUP_ROOT}${containerCgroupsPath(id, true)}` : `${CGROUP_ROOT}/${controller}${containerCgroupsPath(id, false)}`;
}

/** The number of OOM kills in the container's cgroup since it started, from memory.events on v2;
 *  undefined where that cannot be known (v1: the runtime removed the cgroup with its counters). */
export async function containerOomKills(id: string, v2 = unified): Promise<number | undefined> {
  if (!v2) return undefined;
  try {
    const m = /^oom_kill (\d+)$/m.exec(await readFile(`${CGROUP_ROOT}/tscompose/${id}/memory.events`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Removes what is left of the container's cgroup on v2 (the engine's parent; the leaf too if a crashed runtime
 *  left it), so that the next start counts OOM kills from zero. Processes a runtime that died half-way left in it
 *  (a `runc init` whose threads hit the pids limit) are killed first, as Docker's cleanup does. */
export async function removeContainerCgroup(id: string, v2 = unified): Promise<void> {
  if (!v2) return;
  const parent = `${CGROUP_ROOT}/tscompose/${id}`;
  if (!existsSync(parent)) return;
  if (await removeDirs(parent)) return;
  await writeFile(`${parent}/cgroup.kill`, '1').catch(() => {}); // Linux 5.14+; older kernels: wait for the exit
  for (let i = 0; i < 50 && (await populated(parent)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await removeDirs(parent))) throw new Error(`cannot remove the cgroup of container ${id}: ${parent} still has processes`);
}

/** rmdir of the leaf then the parent; false while one of them still holds processes. */
async function removeDirs(parent: string): Promise<boolean> {
  for (const dir of [`${parent}/ctr`, parent]) {
    try {
      await rmdir(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EBUSY') return false;
      if (code !== 'ENOENT') throw err;
    }
  }
  return true;
}

async function populated(dir: string): Promise<boolean> {
  try {
    return /^populated 1$/m.test(await readFile(`${dir}/cgroup.events`, 'utf8'));
  } catch {
    return false;
  }
}
