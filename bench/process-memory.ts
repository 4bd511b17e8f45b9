// What an engine keeps resident, read from /proc: a snapshot of the process table, the walk from an
// engine's own processes down to (not into) the containers it runs, and the sum of their RSS and PSS.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** the kernel's short name (/proc/<pid>/comm), which a process may change (the supervisor sets its title) */
  name: string;
  argv: string[];
  /** the pid namespace (`pid:[4026531836]`), '' when it could not be read */
  pidNs: string;
}

export interface Memory {
  rssKb: number;
  pssKb: number;
}

/** The parent pid from /proc/<pid>/stat; the name in parentheses may itself contain spaces and ')'. */
export function parseStatPpid(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[1]);
}

/** Rss and Pss (kB) from /proc/<pid>/smaps_rollup. */
export function parseSmapsRollup(text: string): Memory | undefined {
  const rss = /^Rss:\s+(\d+) kB/m.exec(text);
  const pss = /^Pss:\s+(\d+) kB/m.exec(text);
  return rss && pss ? { rssKb: Number(rss[1]), pssKb: Number(pss[1]) } : undefined;
}

/** VmRSS (kB) from /proc/<pid>/status, for kernels without smaps_rollup (before 4.14). */
export function parseStatusRss(text: string): number | undefined {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Every process now, except kernel threads (no argv). Processes that end while being read are left out. */
export function snapshot(): Map<number, ProcInfo> {
  const procs = new Map<number, ProcInfo>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const argv = cmdline ? cmdline.replace(/\0$/, '').split('\0') : [];
      if (!argv.length) continue;
      let pidNs = '';
      try {
        pidNs = readlinkSync(`/proc/${pid}/ns/pid`);
      } catch {
        /* hidden by permissions */
      }
      procs.set(pid, {
        pid,
        ppid: parseStatPpid(readFileSync(`/proc/${pid}/stat`, 'utf8')),
        name: readFileSync(`/proc/${pid}/comm`, 'utf8').trim(),
        argv,
        pidNs,
      });
    } catch {
      /* gone */
    }
  }
  return procs;
}

/**
 * The engine side: `roots` and every process below them, except containers. A container's processes
 * are told apart by their pid namespace: the container's init is the first process below the engine
 * (runc run, a shim, conmon or a subreaper) that is not in the host's pid namespace, and the walk does
 * not descend into it. (The cgroup would do too, but its path is each engine's own choice; the pid
 * namespace is the same test for every engine, including one whose containers share nothing else.)
 * `skip` leaves out a process and what runs below it.
 */
export function engineSide(
  procs: Map<number, ProcInfo>,
  roots: number[],
  hostPidNs: string,
  skip: (p: ProcInfo) => boolean = () => false,
): ProcInfo[] {
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs.values()) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const seen = new Set<number>();
  const out: ProcInfo[] = [];
  const queue = roots.map((pid) => procs.get(pid)).filter((p): p is ProcInfo => p !== undefined);
  while (queue.length) {
    const p = queue.shift()!;
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    if (p.pidNs && p.pidNs !== hostPidNs) continue; // a container's process
    if (skip(p)) continue; // not this engine's (e.g. the shim of another user's container on a shared dockerd)
    out.push(p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return out.sort((a, b) => a.pid - b.pid);
}

/** The pid namespace of this process (the host's, for a bench run on the host). */
export function ownPidNs(): string {
  return readlinkSync('/proc/self/ns/pid');
}

/** Memory of one process (PSS is NaN without smaps_rollup); undefined when it has ended. */
export function processMemory(pid: number): Memory | undefined {
  try {
    const m = parseSmapsRollup(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    if (m) return m;
  } catch {
    /* no smaps_rollup on this kernel, or the process has ended */
  }
  try {
    const rss = parseStatusRss(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return rss === undefined ? undefined : { rssKb: rss, pssKb: Number.NaN };
  } catch {
    return undefined;
  }
}

export interface Footprint extends Memory {
  processes: number;
  byName: Record<string, number>;
}

/** RSS and PSS summed over `procs`, with how many processes of each name (e.g. `runc: 200`). */
export function footprint(procs: ProcInfo[], memoryOf: (pid: number) => Memory | undefined = processMemory): Footprint {
  const total: Footprint = { rssKb: 0, pssKb: 0, processes: 0, byName: {} };
  for (const p of procs) {
    const m = memoryOf(p.pid);
    if (!m) continue;
    total.rssKb += m.rssKb;
    total.pssKb += m.pssKb;
    total.processes++;
    total.byName[p.name] = (total.byName[p.name] ?? 0) + 1;
  }
  return total;
}
