// Compose Specification merge rules for several -f files and for `extends`: mappings merge key by
// key, shell commands are replaced, ports/volumes/secrets/configs/env_file merge by their unique
// key, other sequences append without duplicates; `!reset` removes a value, `!override` replaces it.
import { copyEntry, ensureInfo, infoOf, isMap, tagOf, type Plain, type PlainMap } from './located.js';
import { portKey, type LongPort } from './normalize/ports.js';
import type { KeyPath } from './problems.js';

type ArrayRule = 'replace' | 'union' | ((item: Plain) => string);

const byTarget = (v: Plain) => String((v as PlainMap)?.target ?? JSON.stringify(v));
const byTargetOrSource = (v: Plain) => String((v as PlainMap)?.target ?? (v as PlainMap)?.source ?? JSON.stringify(v));

const SERVICE_ARRAY_RULES: Record<string, ArrayRule> = {
  command: 'replace',
  entrypoint: 'replace',
  ports: (p) => portKey(p as unknown as LongPort),
  volumes: byTarget,
  secrets: byTargetOrSource,
  configs: byTargetOrSource,
  env_file: (e) => String((e as PlainMap)?.path ?? e),
};

function arrayRule(path: KeyPath): ArrayRule {
  if (path[0] === 'services' && path.length === 3) return SERVICE_ARRAY_RULES[String(path[2])] ?? 'union';
  if (path[0] === 'services' && path[2] === 'healthcheck' && path[3] === 'test') return 'replace';
  if (path[0] === 'services' && path[2] === 'build' && path[3] === 'dockerfile_inline') return 'replace';
  return 'union';
}

export function mergeDocuments(base: PlainMap, over: PlainMap): PlainMap {
  return mergeMap(base, over, []);
}

/** `extends`: the base service with the extending service's keys merged over it. */
export function mergeServices(base: PlainMap, over: PlainMap, name: string): PlainMap {
  return mergeMap(base, over, ['services', name]);
}

function mergeMap(base: PlainMap, over: PlainMap, path: KeyPath): PlainMap {
  const out: PlainMap = { ...base };
  const baseInfo = infoOf(base);
  const info = ensureInfo(out, baseInfo?.self ?? infoOf(over)?.self);
  if (baseInfo) for (const [k, e] of baseInfo.entries) info.entries.set(k, e);
  for (const [k, v] of Object.entries(over)) {
    const tag = tagOf(over, k);
    if (tag === 'reset') {
      delete out[k];
      info.entries.delete(k);
      continue;
    }
    out[k] = tag === 'override' || !(k in base) ? stripResets(v) : mergeValue(base[k]!, v, [...path, k]);
    copyEntry(over, k, out);
  }
  return out;
}

function mergeValue(base: Plain, over: Plain, path: KeyPath): Plain {
  // a different logging driver brings its own options: nothing of the base's is kept
  if (
    path[0] === 'services' &&
    path[2] === 'logging' &&
    path.length === 3 &&
    isMap(base) &&
    isMap(over) &&
    over.driver !== undefined &&
    over.driver !== base.driver
  ) {
    return over;
  }
  if (isMap(base) && isMap(over)) return mergeMap(base, over, path);
  if (Array.isArray(base) && Array.isArray(over)) return mergeArray(base, over, arrayRule(path));
  return stripResets(over);
}

function mergeArray(base: Plain[], over: Plain[], rule: ArrayRule): Plain[] {
  if (rule === 'replace') return over;
  const keyOf = rule === 'union' ? (v: Plain) => JSON.stringify(v) : rule;
  const out: Plain[] = [];
  const index = new Map<string, number>();
  for (const item of [...base, ...over]) {
    const key = keyOf(item);
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, out.length);
      out.push(item);
    } else if (rule !== 'union') out[at] = isMap(out[at]) && isMap(item) ? mergeMap(out[at] as PlainMap, item, []) : item;
  }
  return out;
}

/** Drops `!reset` values from a document that is not merged over anything (the first file). */
export function stripResets<T extends Plain>(v: T): T {
  if (isMap(v)) {
    for (const k of Object.keys(v)) {
      if (tagOf(v, k) === 'reset') delete v[k];
      else stripResets(v[k]!);
    }
  } else if (Array.isArray(v)) {
    for (const x of v) stripResets(x);
  }
  return v;
}
