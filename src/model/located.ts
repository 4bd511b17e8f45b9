// Plain JS values read from YAML, with the source position of every key and value kept on the side
// (a WeakMap, so ajv, merging and JSON never see it). Errors found later map back to file:line:column.
import type { SourceLocation } from '../errors.js';

export type Tag = 'reset' | 'override';

export interface EntryInfo {
  key: SourceLocation; // where the key (or sequence item) starts
  value: SourceLocation; // where its value starts
  tag?: Tag; // !reset / !override on the value
}

export interface NodeInfo {
  self: SourceLocation;
  entries: Map<string | number, EntryInfo>;
}

const infos = new WeakMap<object, NodeInfo>();

export type Plain = null | string | number | boolean | Plain[] | { [key: string]: Plain };
export type PlainMap = { [key: string]: Plain };

export function isMap(v: unknown): v is PlainMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function infoOf(obj: object): NodeInfo | undefined {
  return infos.get(obj);
}

export function setInfo(obj: object, info: NodeInfo): void {
  infos.set(obj, info);
}

/** The info of `obj`, created (at `self`) when missing. */
export function ensureInfo(obj: object, self?: SourceLocation): NodeInfo {
  let info = infos.get(obj);
  if (!info) {
    info = { self: self ?? { file: '', line: 0, column: 0 }, entries: new Map() };
    infos.set(obj, info);
  }
  return info;
}

export function entryOf(obj: object, key: string | number): EntryInfo | undefined {
  return infos.get(obj)?.entries.get(key);
}

/** Copy the position of `from[fromKey]` onto `to[toKey]`. */
export function copyEntry(from: object, fromKey: string | number, to: object, toKey: string | number = fromKey): void {
  const e = entryOf(from, fromKey);
  if (!e) return;
  const target = ensureInfo(to, infoOf(from)?.self);
  target.entries.set(toKey, { key: e.key, value: e.value });
}

/** Where a value lives: the position of the deepest located node on the path. */
export function locate(root: unknown, path: (string | number)[], which: 'key' | 'value' = 'value'): SourceLocation | undefined {
  let node: unknown = root;
  let best: SourceLocation | undefined = typeof root === 'object' && root ? infos.get(root)?.self : undefined;
  for (const seg of path) {
    if (typeof node !== 'object' || node === null) break;
    const e = infos.get(node)?.entries.get(Array.isArray(node) ? Number(seg) : String(seg));
    if (e) best = which === 'key' ? e.key : e.value;
    node = (node as Record<string, unknown>)[seg as string];
    if (node && typeof node === 'object' && infos.get(node) && !e) best = infos.get(node)!.self;
  }
  return best;
}

/** A deep copy that keeps positions. */
export function cloneLocated<T>(v: T): T {
  if (Array.isArray(v)) {
    const out = v.map((x) => cloneLocated(x));
    const info = infos.get(v);
    if (info) infos.set(out, { self: info.self, entries: new Map(info.entries) });
    return out as T;
  }
  if (isMap(v)) {
    const out: PlainMap = {};
    for (const [k, x] of Object.entries(v)) out[k] = cloneLocated(x);
    const info = infos.get(v);
    if (info) infos.set(out, { self: info.self, entries: new Map(info.entries) });
    return out as T;
  }
  return v;
}
