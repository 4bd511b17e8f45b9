// Located plain values (located.ts) to JSON text and back, positions included, for the YAML cache
// (yaml-cache.ts). The values are written as they are; the positions of every mapping and sequence follow
// in one list, in the order a depth-first walk meets them (Object.keys order, which JSON keeps), without
// the file name: a file's positions all name that file, and decoding puts it back.
import type { SourceLocation } from '../errors.js';
import { ensureInfo, infoOf, isMap, type Plain, type Tag } from './located.js';

/** one container's positions: [line, column, then per entry: key, key line, key column, value line, value column, tag] */
type EncodedInfo = (string | number)[];

const TAGS: (Tag | undefined)[] = [undefined, 'reset', 'override'];

export function encodeLocated(value: Plain): string {
  const infos: (EncodedInfo | 0)[] = [];
  const walk = (v: Plain): void => {
    if (typeof v !== 'object' || v === null) return;
    const info = infoOf(v);
    if (!info) infos.push(0);
    else {
      const out: EncodedInfo = [info.self.line, info.self.column];
      for (const [k, e] of info.entries) out.push(k, e.key.line, e.key.column, e.value.line, e.value.column, TAGS.indexOf(e.tag));
      infos.push(out);
    }
    if (Array.isArray(v)) v.forEach(walk);
    else for (const k of Object.keys(v)) walk(v[k]!);
  };
  walk(value);
  return JSON.stringify({ v: value, i: infos });
}

export class CorruptEncodingError extends Error {}

/** The value `encodeLocated` wrote, with its positions in `file`. Throws CorruptEncodingError on a text it did not write. */
export function decodeLocated(text: string, file: string): Plain {
  const { v, i: infos } = JSON.parse(text) as { v: Plain; i: (EncodedInfo | 0)[] };
  if (!Array.isArray(infos)) throw new CorruptEncodingError('no positions');
  let next = 0;
  const at = (line: unknown, column: unknown): SourceLocation => {
    if (typeof line !== 'number' || typeof column !== 'number') throw new CorruptEncodingError('a position is not a number');
    return { file, line, column };
  };
  const walk = (x: Plain): void => {
    if (typeof x !== 'object' || x === null) return;
    if (next >= infos.length) throw new CorruptEncodingError('fewer positions than containers');
    const enc = infos[next++]!;
    if (enc !== 0) {
      if (!Array.isArray(enc) || (enc.length - 2) % 6 !== 0) throw new CorruptEncodingError('a malformed position list');
      const info = ensureInfo(x, at(enc[0], enc[1]));
      for (let j = 2; j < enc.length; j += 6) {
        const key = enc[j]!;
        const tag = TAGS[enc[j + 5] as number];
        info.entries.set(key, { key: at(enc[j + 1], enc[j + 2]), value: at(enc[j + 3], enc[j + 4]), ...(tag ? { tag } : {}) });
      }
    }
    if (Array.isArray(x)) x.forEach(walk);
    else if (isMap(x)) for (const k of Object.keys(x)) walk(x[k]!);
  };
  walk(v);
  if (next !== infos.length) throw new CorruptEncodingError('more positions than containers');
  return v;
}
