// Durations as Go's time.ParseDuration reads them and time.Duration.String() prints them,
// because that is what `docker compose config` shows ("1m30s", "500ms", "1h0m0s").
import { NormalizeError } from './error.js';

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Nanoseconds. A bare number means seconds (compose's stop_grace_period, healthcheck fields). */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value * 1e9;
  const s = value.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1e9;
  // the micro signs as escapes: the CLI bundle is ASCII (scripts/bundle-cli.mjs)
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y;
  let total = 0;
  let i = s.startsWith('-') || s.startsWith('+') ? 1 : 0;
  if (i === s.length) throw new NormalizeError(`invalid duration "${value}"`);
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) throw new NormalizeError(`invalid duration "${value}": expected a number and a unit (ns, us, ms, s, m, h), e.g. "1m30s"`);
    total += Number(m[1]) * UNIT_NS[m[2]!]!;
    i = re.lastIndex;
  }
  return Math.round(s.startsWith('-') ? -total : total);
}

export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let u = Math.abs(ns);
  let out: string;
  if (u < 1e9) {
    const [unit, scale] = u < 1e3 ? ['ns', 1] : u < 1e6 ? ['µs', 1e3] : ['ms', 1e6];
    out = `${trimFraction(u / (scale as number))}${unit}`;
  } else {
    const h = Math.floor(u / 3600e9);
    u -= h * 3600e9;
    const m = Math.floor(u / 60e9);
    u -= m * 60e9;
    const s = `${trimFraction(u / 1e9)}s`;
    out = h ? `${h}h${m}m${s}` : m ? `${m}m${s}` : s;
  }
  return neg ? `-${out}` : out;
}

export function normalizeDuration(value: string | number): string {
  return formatDuration(parseDuration(value));
}

function trimFraction(n: number): string {
  return String(Number(n.toFixed(9)));
}
