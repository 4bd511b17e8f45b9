// compose-go's EnforceUnicity (override/uncity.go), applied to each file before it is validated:
// in a service's lists, an entry whose key repeats an earlier one takes that earlier entry's place
// (environment entries by variable name, ports by their whole spec, volumes by target, secrets and
// configs by target, plain strings by value) instead of being refused as a duplicate.
import { infoOf, isMap, setInfo, type Plain, type PlainMap } from './located.js';

type Indexer = (item: Plain) => string | undefined;

const scalar: Indexer = (item) => (typeof item === 'string' || typeof item === 'number' ? String(item) : undefined);
const json: Indexer = (item) => JSON.stringify(item);
const volumeTarget: Indexer = (item) => {
  if (typeof item === 'string') {
    const parts = item.split(':');
    return parts.length === 1 ? parts[0] : parts[1];
  }
  return isMap(item) && typeof item.target === 'string' ? item.target : undefined;
};
const mountTarget =
  (base: string): Indexer =>
  (item) => {
    if (typeof item === 'string') return `${base}/${item}`;
    if (!isMap(item)) return undefined;
    const target = typeof item.target === 'string' ? item.target : typeof item.source === 'string' ? item.source : undefined;
    if (target === undefined) return undefined;
    return target.startsWith('/') ? target : `${base}/${target}`;
  };

/** A list-form environment entry by its variable: "KEY=value" and a bare "KEY" both name KEY. */
const envKey: Indexer = (item) => {
  if (typeof item !== 'string' && typeof item !== 'number') return undefined;
  const s = String(item);
  const eq = s.indexOf('=');
  return eq < 0 ? s : s.slice(0, eq);
};

const SERVICE_LISTS: [string, Indexer][] = Object.entries({
  environment: envKey,
  cap_add: scalar,
  cap_drop: scalar,
  dns: scalar,
  dns_opt: scalar,
  dns_search: scalar,
  expose: scalar,
  links: scalar,
  profiles: scalar,
  tmpfs: scalar,
  external_links: scalar,
  security_opt: scalar,
  device_cgroup_rules: scalar,
  ports: json,
  volumes: volumeTarget,
  secrets: mountTarget('/run/secrets'),
  configs: mountTarget(''),
} satisfies Record<string, Indexer>);

/** Whether two entries of `list` have the same key. */
function hasRepeats(list: Plain[], indexer: Indexer): boolean {
  if (list.length < 2) return false;
  const seen = new Set<string>();
  for (const item of list) {
    const key = indexer(item);
    if (key === undefined) continue;
    if (seen.has(key)) return true;
    seen.add(key);
  }
  return false;
}

/** Entries with a repeated key replace the first entry with that key, in its position (undefined: no repeats). */
function unique(list: Plain[], indexer: Indexer): Plain[] | undefined {
  if (!hasRepeats(list, indexer)) return undefined;
  const first = new Map<string, number>();
  const out: Plain[] = [];
  const origin: number[] = [];
  let changed = false;
  list.forEach((item, i) => {
    const key = indexer(item);
    const at = key === undefined ? undefined : first.get(key);
    if (at === undefined) {
      if (key !== undefined) first.set(key, out.length);
      out.push(item);
      origin.push(i);
    } else {
      out[at] = item;
      origin[at] = i;
      changed = true;
    }
  });
  if (!changed) return undefined;
  const info = infoOf(list);
  if (info) {
    const entries = new Map<string | number, NonNullable<ReturnType<typeof info.entries.get>>>();
    origin.forEach((from, to) => {
      const e = info.entries.get(from);
      if (e) entries.set(to, e);
    });
    setInfo(out, { self: info.self, entries });
  }
  return out;
}

export function enforceUnicity(doc: PlainMap): void {
  const services = doc.services;
  if (!isMap(services)) return;
  for (const svc of Object.values(services)) {
    if (!isMap(svc)) continue;
    for (const [key, indexer] of SERVICE_LISTS) {
      const list = svc[key];
      if (!Array.isArray(list)) continue;
      const out = unique(list, indexer);
      if (out) svc[key] = out;
    }
    if (isMap(svc.build) && Array.isArray(svc.build.tags)) {
      const out = unique(svc.build.tags, scalar);
      if (out) svc.build.tags = out;
    }
    if (isMap(svc.networks)) {
      for (const n of Object.values(svc.networks)) {
        if (isMap(n) && Array.isArray(n.aliases)) {
          const out = unique(n.aliases, scalar);
          if (out) n.aliases = out;
        }
      }
    }
  }
}
