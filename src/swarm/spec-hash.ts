// The hash of a spec as tscompose wrote it, stored in the service's labels. Comparing hashes, not the
// specs the manager returns, is what makes a no-op deploy a no-op: the manager fills in defaults
// (update parallelism, restart delay, resolved digests…) that a field-by-field comparison would
// read as changes, which is why docker stack re-updates every service on every deploy.
import { createHash } from 'node:crypto';

/** JSON with object keys sorted and undefined dropped, so equal specs always hash alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const specHash = (spec: unknown): string => createHash('sha256').update(canonicalJson(spec)).digest('hex');
