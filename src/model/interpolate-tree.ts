// Applies interpolation to every string value of a file (never to keys), reporting a missing
// required variable at the file:line:column of the value that asked for it.
import { isMap, type Plain } from './located.js';
import { interpolate, InterpolationError, type Lookup } from './interpolate.js';
import { problemAt, type KeyPath } from './problems.js';

export function interpolateTree(root: Plain, lookup: Lookup, onUnset: (name: string) => void): void {
  const walk = (node: Plain, path: KeyPath) => {
    if (Array.isArray(node)) {
      node.forEach((v, i) => { node[i] = visit(v, [...path, i]); });
    } else if (isMap(node)) {
      for (const k of Object.keys(node)) node[k] = visit(node[k]!, [...path, k]);
    }
  };
  const visit = (v: Plain, path: KeyPath): Plain => {
    if (typeof v === 'string') {
      try {
        return interpolate(v, lookup, { onUnset });
      } catch (err) {
        if (err instanceof InterpolationError) throw problemAt(root, path, err.message);
        throw err;
      }
    }
    walk(v, path);
    return v;
  };
  walk(root, []);
}

