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

/**
 * The positions of a container that are not made into a NodeInfo until something asks for them: the YAML
 * cache (located-codec.ts) gives every container of a file one of these, and most are never asked for
 * (only errors and `!reset` tags need positions), which spares `config` of a big file tens of thousands of
 * small objects.
 */
export abstract class PendingInfo {
  /** whether an entry carries a !reset or !override tag */
  abstract readonly tagged: boolean;
  /** a new NodeInfo each call (undefined: the positions turned out to be unknown) */
  abstract make(): NodeInfo | undefined;
}

const infos = new WeakMap<object, NodeInfo | PendingInfo>();

export type Plain = null | string | number | boolean | Plain[] | { [key: string]: Plain };
export type PlainMap = { [key: string]: Plain };

export function isMap(v: unknown): v is PlainMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The NodeInfo of `obj`, made from pending positions on first use. */
export function infoOf(obj: object): NodeInfo | undefined {
  const s = infos.get(obj);
  if (!(s instanceof PendingInfo)) return s;
  const info = s.make();
  if (info) infos.set(obj, info);
  else infos.delete(obj);
  return info;
}

export function setPendingInfo(obj: object, pending: PendingInfo): void {
  infos.set(obj, pending);
}

/** Gives `to` the positions of `from` when it has none of its own (a list or map rewritten entry by entry). */
export function sharePositions(from: object, to: object): void {
  const s = infos.get(from);
  if (s && !infos.has(to)) infos.set(to, s);
}

/** The !reset / !override tag on `obj[key]`. */
export function tagOf(obj: object, key: string | number): Tag | undefined {
  const s = infos.get(obj);
  if (s instanceof PendingInfo && !s.tagged) return undefined;
  return infoOf(obj)?.entries.get(key)?.tag;
}

export function setInfo(obj: object, info: NodeInfo): void {
  infos.set(obj, info);
}

/** The info of `obj`, created (at `self`) when missing. */
export function ensureInfo(obj: object, self?: SourceLocation): NodeInfo {
  let info = infoOf(obj);
  if (!info) {
    info = { self: self ?? { file: '', line: 0, column: 0 }, entries: new Map() };
    infos.set(obj, info);
  }
  return info;
}

export function entryOf(obj: object, key: string | number): EntryInfo | undefined {
  return infoOf(obj)?.entries.get(key);
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
  let best: SourceLocation | undefined = typeof root === 'object' && root ? infoOf(root)?.self : undefined;
  for (const seg of path) {
    if (typeof node !== 'object' || node === null) break;
    const e = infoOf(node)?.entries.get(Array.isArray(node) ? Number(seg) : String(seg));
    if (e) best = which === 'key' ? e.key : e.value;
    node = (node as Record<string, unknown>)[seg as string];
    if (node && typeof node === 'object' && !e) best = infoOf(node)?.self ?? best;
  }
  return best;
}

/** A deep copy that keeps positions. */
export function cloneLocated<T>(v: T): T {
  if (Array.isArray(v)) {
    const out = v.map((x) => cloneLocated(x));
    copyPositions(v, out);
    return out as T;
  }
  if (isMap(v)) {
    const out: PlainMap = {};
    for (const [k, x] of Object.entries(v)) out[k] = cloneLocated(x);
    copyPositions(v, out);
    return out as T;
  }
  return v;
}

/** `to` gets its own copy of the positions of `from` (pending ones are shared: each use makes a new NodeInfo). */
function copyPositions(from: object, to: object): void {
  const s = infos.get(from);
  if (s) infos.set(to, s instanceof PendingInfo ? s : { self: s.self, entries: new Map(s.entries) });
}
