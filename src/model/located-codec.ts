// Located plain values (located.ts) to JSON text and back, positions included, for the YAML cache
// (yaml-cache.ts). The values are written as they are; the positions of every mapping and sequence follow
// in one list, in the order a depth-first walk meets them (Object.keys order, which JSON keeps), without
// the file name: a file's positions all name that file, and decoding puts it back.
import type { SourceLocation } from '../errors.js';
import { infoOf, PendingInfo, setPendingInfo, type EntryInfo, type NodeInfo, type Plain, type Tag } from './located.js';

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

/** The positions of one container as encoded, made into a NodeInfo when first asked for (located.ts). */
class EncodedPositions extends PendingInfo {
  constructor(
    private readonly file: string,
    private readonly enc: EncodedInfo,
    readonly tagged: boolean,
  ) {
    super();
  }

  make(): NodeInfo {
    const { file, enc } = this;
    const at = (line: number, column: number): SourceLocation => ({ file, line, column });
    const entries = new Map<string | number, EntryInfo>();
    for (let j = 2; j < enc.length; j += 6) {
      const tag = TAGS[enc[j + 5] as number];
      const e: EntryInfo = { key: at(enc[j + 1] as number, enc[j + 2] as number), value: at(enc[j + 3] as number, enc[j + 4] as number) };
      if (tag) e.tag = tag;
      entries.set(enc[j]!, e);
    }
    return { self: at(enc[0] as number, enc[1] as number), entries };
  }
}

/** The value `encodeLocated` wrote, with its positions in `file`. Throws CorruptEncodingError on a text it did not write. */
export function decodeLocated(text: string, file: string): Plain {
  const { v, i: infos } = JSON.parse(text) as { v: Plain; i: (EncodedInfo | 0)[] };
  if (!Array.isArray(infos)) throw new CorruptEncodingError('no positions');
  let next = 0;
  // checked here, whole, so that a corrupt entry is refused now rather than when a position is asked for
  const check = (enc: EncodedInfo): boolean => {
    if (!Array.isArray(enc) || (enc.length - 2) % 6 !== 0) throw new CorruptEncodingError('a malformed position list');
    let tagged = false;
    for (let j = 0; j < enc.length; j++) {
      const field = j < 2 ? 1 : (j - 2) % 6; // 0: the entry's key; 5: its tag; others: line or column
      const x = enc[j];
      if (field === 0 ? typeof x !== 'string' && typeof x !== 'number' : typeof x !== 'number')
        throw new CorruptEncodingError('a position is not a number');
      if (field === 5 && x !== 0) {
        if (!TAGS[x as number]) throw new CorruptEncodingError('an unknown tag');
        tagged = true;
      }
    }
    return tagged;
  };
  const walk = (x: Plain): void => {
    if (typeof x !== 'object' || x === null) return;
    if (next >= infos.length) throw new CorruptEncodingError('fewer positions than containers');
    const enc = infos[next++]!;
    if (enc !== 0) setPendingInfo(x, new EncodedPositions(file, enc, check(enc)));
    if (Array.isArray(x)) for (const item of x) walk(item);
    else for (const k in x) walk(x[k]!);
  };
  walk(v);
  if (next !== infos.length) throw new CorruptEncodingError('more positions than containers');
  return v;
}
