// Byte sizes the way docker's go-units RAMInBytes reads them: binary units, optional "b"/"ib".
import { NormalizeError } from './error.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

export function parseBytes(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?\s*$/i.exec(value);
  if (!m) throw new NormalizeError(`invalid size "${value}": expected a number with an optional unit (b, k, m, g), e.g. "512m"`);
  return Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}
