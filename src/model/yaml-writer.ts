// A small block-style YAML emitter for the serialized model (maps, lists, scalars only). The yaml
// package's stringify is general but slow on big stacks; this writes the same layout docker compose
// prints: two-space indent, list items indented under their key, strings quoted only when needed.

type Value = unknown;

// YAML 1.1 and 1.2 words that would not read back as strings
const RESERVED = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|=|<<)$/;
// what a YAML 1.1 or 1.2 reader would take for a number: ints (any base), floats, 1.1 sexagesimals
const NUMBER_LIKE =
  /^[-+]?(?:[0-9][0-9_]*|0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+|[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|\.(?:inf|Inf|INF|nan|NaN|NAN))$/;
const PLAIN_SAFE = /^[^\s\-?:,[\]{}#&*!|>'"%@`][^\t\n]*$|^[-?:][^\s,[\]{}#&*!|>'"%@`]/;

export function needsQuotes(s: string): boolean {
  if (s === '' || RESERVED.test(s) || NUMBER_LIKE.test(s)) return true;
  if (!PLAIN_SAFE.test(s)) return true;
  if (/\s$/.test(s) || s.includes(': ') || s.includes(' #') || s.endsWith(':') || /[\n\r\t\u0000-\u001f\u007f-\u009f\ufeff]/.test(s))
    return true;
  return false;
}

function scalar(v: Value): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? '.inf' : v < 0 ? '-.inf' : '.nan';
  const s = String(v);
  return needsQuotes(s) ? JSON.stringify(s) : s;
}

// the same few dozen keys come back in every service of a big stack
const keys = new Map<string, string>();

function key(k: string): string {
  let out = keys.get(k);
  if (out === undefined) {
    out = needsQuotes(k) ? JSON.stringify(k) : k;
    keys.set(k, out);
  }
  return out;
}

const isPlainObject = (v: Value): v is Record<string, Value> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Writes YAML text, each line ending with a newline. The pieces are joined a few thousand at a time: a string
 * grown by `+=` is a tree of two-piece strings until something flattens it, ~3 MB of them for the 400 KB of
 * a 500-service stack, all kept until the output is written; joined pieces are one flat string.
 */
class Emitter {
  private readonly chunks: string[] = [];
  private pieces: string[] = [];

  private add(...pieces: string[]): void {
    for (const p of pieces) this.pieces.push(p);
    if (this.pieces.length >= 4096) {
      this.chunks.push(this.pieces.join(''));
      this.pieces = [];
    }
  }

  text(): string {
    return this.chunks.join('') + this.pieces.join('');
  }

  /** A map's entries, the first line led by `first` (a list item's "- ") and the others by `indent`. */
  map(m: Record<string, Value>, indent: string, first: string): void {
    let lead = first;
    for (const k of Object.keys(m)) {
      const x = m[k];
      if (x === undefined) continue;
      const head = key(k);
      if (isPlainObject(x) && Object.keys(x).length) {
        this.add(lead, head, ':\n');
        this.map(x, `${indent}  `, `${indent}  `);
      } else if (Array.isArray(x) && x.length) {
        this.add(lead, head, ':\n');
        this.list(x, `${indent}  `);
      } else {
        this.add(lead, head, ': ', inline(x), '\n');
      }
      lead = indent;
    }
  }

  list(items: Value[], indent: string): void {
    for (const item of items) {
      if (isPlainObject(item) && Object.keys(item).length) this.map(item, `${indent}  `, `${indent}- `);
      else if (Array.isArray(item) && item.length) {
        this.add(indent, '-\n');
        this.list(item, `${indent}  `);
      } else this.add(indent, '- ', inline(item), '\n');
    }
  }
}

function inline(v: Value): string {
  if (Array.isArray(v)) return '[]';
  if (isPlainObject(v)) return '{}';
  return scalar(v);
}

export function writeYaml(doc: Record<string, Value>): string {
  const out = new Emitter();
  out.map(doc, '', '');
  return out.text() || '\n';
}
