// Compose durations ("1m30s", "500ms", "2h") as numbers.
import { UserError } from '../errors.js';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function durationMs(value: string | number | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'number') return value * 1000;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  // the micro sign as an escape: the CLI bundle is ASCII (scripts/bundle-cli.mjs)
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text)
    throw new UserError(`invalid duration "${value}": use forms like 30s, 1m30s or 500ms`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]], 0);
}

export const durationNs = (value: string | undefined): number | undefined => {
  const ms = durationMs(value);
  return ms === undefined ? undefined : Math.round(ms * 1e6);
};

export const durationSeconds = (value: string | undefined): number | undefined => {
  const ms = durationMs(value);
  return ms === undefined ? undefined : Math.ceil(ms / 1000);
};
