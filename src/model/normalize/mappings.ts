// "list or map" values (environment, labels, args, sysctls …) as one map. In a list, "KEY=value"
// sets a value and a bare "KEY" means "take it from the environment" (null) when allowed.
import { isMap, type Plain, type PlainMap } from '../located.js';

export function listOrMapToMap(v: Plain, allowNull: boolean): PlainMap {
  const out: PlainMap = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      const eq = s.indexOf('=');
      if (eq < 0) out[s] = allowNull ? null : '';
      else out[s.slice(0, eq)] = s.slice(eq + 1);
    }
    return out;
  }
  if (isMap(v)) {
    for (const [k, x] of Object.entries(v))
      out[k] = x === null ? (allowNull ? null : '') : typeof x === 'object' ? JSON.stringify(x) : String(x);
    return out;
  }
  return out;
}

/** Booleans may arrive as strings after interpolation ("true", "False" …). */
export const isTrue = (v: Plain | undefined): boolean => v === true || (typeof v === 'string' && v.toLowerCase() === 'true');
export const isFalse = (v: Plain | undefined): boolean => v === false || (typeof v === 'string' && v.toLowerCase() === 'false');
