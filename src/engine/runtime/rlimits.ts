// The host's resource limits (from /proc/self/limits): a container may not ask for more than the hard limits.
import { readFileSync } from 'node:fs';

const LIMIT_NAMES: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU',
  'Max file size': 'RLIMIT_FSIZE',
  'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK',
  'Max core file size': 'RLIMIT_CORE',
  'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC',
  'Max open files': 'RLIMIT_NOFILE',
  'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS',
  'Max file locks': 'RLIMIT_LOCKS',
  'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE',
  'Max nice priority': 'RLIMIT_NICE',
  'Max realtime priority': 'RLIMIT_RTPRIO',
};

let cached: Record<string, { soft: number; hard: number }> | undefined;

const parseLimit = (v: string) => (v === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(v));

export function hostRlimits(): Record<string, { soft: number; hard: number }> {
  if (cached) return cached;
  const out: Record<string, { soft: number; hard: number }> = {};
  try {
    for (const line of readFileSync('/proc/self/limits', 'utf8').split('\n').slice(1)) {
      const m = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
      const type = m && LIMIT_NAMES[m[1]!.trim()];
      if (m && type) out[type] = { soft: parseLimit(m[2]!), hard: parseLimit(m[3]!) };
    }
  } catch {
    /* not Linux: leave empty */
  }
  cached = out;
  return out;
}
