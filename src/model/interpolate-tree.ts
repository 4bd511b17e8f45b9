// Applies interpolation to every string value of a file (never to keys), reporting a missing
// required variable at the file:line:column of the value that asked for it.
import { isMap, type Plain } from './located.js';
import { interpolate, InterpolationError, type Lookup } from './interpolate.js';
import { problemAt, type KeyPath } from './problems.js';

export function interpolateTree(root: Plain, lookup: Lookup, onUnset: (name: string) => void): void {
  const path: KeyPath = []; // one shared stack, copied only when an error is reported
  const visit = (v: Plain): Plain => {
    if (typeof v === 'string') {
      if (!v.includes('$')) return v;
      try {
        return interpolate(v, lookup, { onUnset });
      } catch (err) {
        if (err instanceof InterpolationError) throw problemAt(root, [...path], err.message);
        throw err;
      }
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        const x = visit(v[i]!);
        if (x !== v[i]) v[i] = x;
        path.pop();
      }
    } else if (isMap(v)) {
      for (const k of Object.keys(v)) {
        path.push(k);
        const x = visit(v[k]!);
        if (x !== v[k]) v[k] = x;
        path.pop();
      }
    }
    return v;
  };
  visit(root);
}
