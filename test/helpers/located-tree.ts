// A located plain value (src/model/located.ts) as one comparable tree: every value and every position.
import { infoOf, type Plain } from '../../src/model/located.js';

export function locatedTree(v: Plain): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const info = infoOf(v);
  const positions = info && { self: info.self, entries: [...info.entries].map(([k, e]) => [k, e.key, e.value, e.tag ?? null]) };
  const children = Array.isArray(v) ? v.map(locatedTree) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, locatedTree(x)]));
  return { positions, children };
}
