// What `runc delete` does for a container whose process has ended, without starting runc: a detached run
// (`runc run -d`, the reaper's way) leaves its state directory and its (empty) cgroups behind, and a runc
// process to remove them costs 10–20 ms of CPU per container (a Go binary reading a 30 KB state.json) on the
// path of every exit. runc's own rule decides that the container is stopped: its init process is gone, or
// its pid now belongs to a process started at another time. Anything unexpected (another runtime's
// state, the systemd cgroup driver, a cgroup that still holds processes or sub-cgroups, an unreadable state)
// answers false, and the caller runs `runc delete --force`, which also kills what is left.
import { readFileSync } from 'node:fs';
import { readFile, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';

/** The fields of runc's state.json (libcontainer's State) read here. */
interface RuncState {
  init_process_pid?: unknown;
  init_process_start?: unknown;
  cgroup_paths?: unknown;
  intel_rdt_path?: unknown;
  config?: { cgroups?: { systemd?: unknown } };
}

/** Whether `pid` is still the process runc started at `start` (field 22 of /proc/<pid>/stat, clock ticks since
 *  boot, as runc records init_process_start) and not a zombie: runc's own test of a container that runs. */
function stillRuns(pid: number, start: unknown): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // the command name (field 2) may contain spaces and parentheses: the fields after it follow the last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[0] !== 'Z' && fields[0] !== 'X' && fields[19] === String(start);
}

/** True once the container's state and cgroups are gone; false when `runc delete --force` has to do it. */
export async function removeStoppedRuncContainer(stateRoot: string, id: string): Promise<boolean> {
  const dir = path.join(stateRoot, id);
  let state: RuncState;
  try {
    state = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8')) as RuncState;
  } catch {
    return false;
  }
  const pid = state.init_process_pid;
  const cgroups = state.cgroup_paths;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return false;
  if (typeof cgroups !== 'object' || cgroups === null) return false;
  if (state.config?.cgroups?.systemd || state.intel_rdt_path) return false;
  if (stillRuns(pid, state.init_process_start)) return false; // running, created or paused for runc
  for (const dir of Object.values(cgroups as Record<string, unknown>)) {
    // only cgroup directories: a state file is root's, but nothing else is removed on its word
    if (typeof dir !== 'string' || !dir.startsWith('/sys/fs/cgroup/') || dir.includes('/../')) return false;
    try {
      await rmdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return false; // EBUSY: processes left; ENOTEMPTY: sub-cgroups
    }
  }
  await rm(dir, { recursive: true, force: true });
  return true;
}
