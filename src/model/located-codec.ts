// Located plain values (located.ts) to text and back, positions included, for the YAML cache (yaml-cache.ts).
// Two lines of JSON: the values as they are, with the number of mappings and sequences and which of them
// carry a tag or no positions at all; then the positions of every mapping and sequence, in one list, in the
// order a depth-first walk meets them (Object.keys order, which JSON keeps), without the file name: a file's
// positions all name that file, and decoding puts it back. The second line is parsed only when needed; its
// length is in the first, so an entry cut short is refused at once.
import type { SourceLocation } from '../errors.js';
import { infoOf, PendingInfo, setPendingInfo, type EntryInfo, type NodeInfo, type Plain, type Tag } from './located.js';

/** one container's positions: [line, column, then per entry: key, key line, key column, value line, value column, tag] */
type EncodedInfo = (string | number)[];

const TAGS: (Tag | undefined)[] = [undefined, 'reset', 'override'];

/** A value JSON cannot carry as it is (an infinite number, not a number): such a file is not cached. */
export class NotEncodableError extends Error {}

/** Throws NotEncodableError for a value that holds an infinite number or not a number. */
export function encodeLocated(value: Plain): string {
  const infos: (EncodedInfo | 0)[] = [];
  const tagged: number[] = [];
  const bare: number[] = [];
  const walk = (v: Plain): void => {
    // JSON has no .inf or .nan: it would write null, and the file would read back as another
    if (typeof v === 'number' && !Number.isFinite(v)) throw new NotEncodableError(`${v} has no JSON form`);
    if (typeof v !== 'object' || v === null) return;
    const info = infoOf(v);
    if (!info) {
      bare.push(infos.length);
      infos.push(0);
    } else {
      const out: EncodedInfo = [info.self.line, info.self.column];
      let hasTag = false;
      for (const [k, e] of info.entries) {
        out.push(k, e.key.line, e.key.column, e.value.line, e.value.column, TAGS.indexOf(e.tag));
        if (e.tag) hasTag = true;
      }
      if (hasTag) tagged.push(infos.length);
      infos.push(out);
    }
    if (Array.isArray(v)) v.forEach(walk);
    else for (const k of Object.keys(v)) walk(v[k]!);
  };
  walk(value);
  // JSON.stringify writes no line break of its own: the first line is all a command needs to read the values
  const positions = JSON.stringify(infos);
  return `${JSON.stringify({ v: value, n: infos.length, t: tagged, z: bare, p: positions.length })}\n${positions}`;
}

export class CorruptEncodingError extends Error {}

/**
 * The positions of a whole file, as encoded: parsed (and checked) when the first of them is asked for, which
 * most commands never do (only errors and `!reset`/`!override` tags need positions). They are most of an
 * entry's text: parsing and checking them every time cost `config` of 500 services ~15 ms.
 */
class FilePositions {
  private parsed: (EncodedInfo | 0)[] | null | undefined;

  constructor(
    readonly file: string,
    private readonly text: string,
    private readonly count: number,
  ) {}

  /** container `index`'s positions, or undefined when the list is not what encodeLocated wrote */
  of(index: number): EncodedInfo | undefined {
    if (this.parsed === undefined) this.parsed = parsePositions(this.text, this.count);
    const enc = this.parsed?.[index];
    return enc ? enc : undefined;
  }
}

function parsePositions(text: string, count: number): (EncodedInfo | 0)[] | null {
  try {
    const infos = JSON.parse(text) as unknown;
    if (!Array.isArray(infos) || infos.length !== count) return null;
    for (const enc of infos) if (enc !== 0 && !wellFormed(enc)) return null;
    return infos as (EncodedInfo | 0)[];
  } catch {
    return null;
  }
}

function wellFormed(enc: unknown): enc is EncodedInfo {
  if (!Array.isArray(enc) || (enc.length - 2) % 6 !== 0) return false;
  for (let j = 0; j < enc.length; j++) {
    const field = j < 2 ? 1 : (j - 2) % 6; // 0: the entry's key; 5: its tag; others: line or column
    const x: unknown = enc[j];
    if (field === 0 ? typeof x !== 'string' && typeof x !== 'number' : typeof x !== 'number') return false;
    if (field === 5 && x !== 0 && !TAGS[x as number]) return false;
  }
  return true;
}

/** One container's positions in a FilePositions, made into a NodeInfo when first asked for (located.ts). */
class EncodedPositions extends PendingInfo {
  constructor(
    private readonly positions: FilePositions,
    private readonly index: number,
    readonly tagged: boolean,
  ) {
    super();
  }

  make(): NodeInfo | undefined {
    const enc = this.positions.of(this.index);
    if (!enc) return undefined; // a list that does not parse: positions unknown, as for a container without any
    const { file } = this.positions;
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

const indexList = (x: unknown): x is number[] => Array.isArray(x) && x.every((i) => Number.isInteger(i));

/** The value `encodeLocated` wrote, with its positions in `file`. Throws CorruptEncodingError on a text it did not write
 *  (the positions themselves are checked when first asked for). */
export function decodeLocated(text: string, file: string): Plain {
  const lineEnd = text.indexOf('\n');
  if (lineEnd < 0) throw new CorruptEncodingError('no positions');
  const head = JSON.parse(text.slice(0, lineEnd)) as { v: Plain; n: unknown; t: unknown; z: unknown; p: unknown };
  const { v, n: count, t, z } = head;
  if (typeof count !== 'number' || !indexList(t) || !indexList(z)) throw new CorruptEncodingError('no container count or tag list');
  if (head.p !== text.length - lineEnd - 1) throw new CorruptEncodingError('positions cut short');
  const positions = new FilePositions(file, text.slice(lineEnd + 1), count);
  const tagged = new Set(t);
  const bare = new Set(z);
  let next = 0;
  const walk = (x: Plain): void => {
    if (typeof x !== 'object' || x === null) return;
    const index = next++;
    if (!bare.has(index)) setPendingInfo(x, new EncodedPositions(positions, index, tagged.has(index)));
    if (Array.isArray(x)) for (const item of x) walk(item);
    else for (const k in x) walk(x[k]!);
  };
  walk(v);
  if (next !== count) throw new CorruptEncodingError('another number of containers than positions');
  return v;
}
