// Reads one YAML stack file into located plain values: anchors and aliases resolved, `<<` merge
// keys applied, `!reset` / `!override` tags remembered for the merge step.
import { isAlias, isMap as isYamlMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { UserError, type SourceLocation } from '../errors.js';
import { ensureInfo, type Plain, type PlainMap, type Tag } from './located.js';

export function readYaml(text: string, file: string): Plain {
  const lineCounter = new LineCounter();
  // duplicate keys are found while reading (NodeReader): yaml's own check compares each key with every earlier one
  // of its map, which made a 500-service file take twice as long to parse
  const doc = parseDocument(text, { merge: true, lineCounter, prettyErrors: false, uniqueKeys: false });
  const at = (offset: number | undefined): SourceLocation => {
    const pos = lineCounter.linePos(offset ?? 0);
    return { file, line: pos.line, column: pos.col };
  };
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const loc = at(e.pos[0]);
    const what = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new UserError(`${loc.file}:${loc.line}:${loc.column}: invalid YAML: ${what}`);
  }
  if (doc.contents === null) return null;
  const reader = new NodeReader(doc, at);
  return reader.read(doc.contents as Node | null);
}

class NodeReader {
  private readonly resolving = new Set<Node>();
  // yaml's Alias.resolve() walks the whole document each time; one pass here keeps big files linear.
  // Made on the first alias: most files have none, and the walk costs a tenth of reading a big file.
  private anchors: Map<string, Node[]> | undefined;
  constructor(
    private readonly doc: Document,
    private readonly at: (offset: number | undefined) => SourceLocation,
  ) {}

  private anchorIndex(): Map<string, Node[]> {
    if (this.anchors) return this.anchors;
    const anchors = new Map<string, Node[]>();
    visit(this.doc, (_key, node) => {
      const anchor = (node as { anchor?: string }).anchor;
      if (anchor) {
        const list = anchors.get(anchor) ?? [];
        list.push(node as Node);
        anchors.set(anchor, list);
      }
    });
    return (this.anchors = anchors);
  }

  /** The node an alias names: the last anchor of that name defined before it. */
  private resolveAlias(source: string, offset: number): Node | undefined {
    let found: Node | undefined;
    for (const n of this.anchorIndex().get(source) ?? []) if ((n.range?.[0] ?? 0) < offset) found = n;
    return found;
  }

  read(node: Node | null | undefined): Plain {
    if (!node) return null;
    if (isAlias(node)) {
      const target = this.resolveAlias(node.source, node.range?.[0] ?? 0);
      if (!target) throw new UserError(`${this.fmt(node)}: unknown YAML alias *${node.source}`);
      if (this.resolving.has(target)) throw new UserError(`${this.fmt(node)}: YAML alias *${node.source} refers to itself`);
      this.resolving.add(target);
      try {
        return this.read(target);
      } finally {
        this.resolving.delete(target);
      }
    }
    if (isScalar(node)) {
      const v = node.value;
      if (v === null || v === undefined) return null;
      // like Go's yaml.v3 (and so docker compose), a leading 0 makes an integer octal: mode: 0400
      if (typeof v === 'number' && node.type === 'PLAIN' && /^[-+]?0[0-7]+$/.test(node.source ?? '')) return parseInt(node.source!, 8);
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
      if (typeof v === 'bigint') return Number(v);
      return String(v);
    }
    if (isSeq(node)) {
      const out: Plain[] = [];
      const info = ensureInfo(out, this.at(node.range?.[0]));
      node.items.forEach((item, i) => {
        const itemNode = item as Node;
        const loc = this.at(itemNode?.range?.[0] ?? node.range?.[0]);
        info.entries.set(i, { key: loc, value: loc, tag: tagOf(itemNode) });
        out.push(this.read(itemNode));
      });
      return out;
    }
    if (isYamlMap(node)) {
      const out: PlainMap = {};
      const info = ensureInfo(out, this.at(node.range?.[0]));
      const merged: PlainMap[] = [];
      // scalar keys already in this map, by value as yaml compares them (1 and "1" differ); `<<` may repeat
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as Node | null;
        if (isScalar(keyNode) && (typeof keyNode.value === 'symbol' || keyNode.source === '<<')) {
          merged.push(...this.mergeSources(pair.value as Node));
          continue;
        }
        if (isScalar(keyNode)) {
          if (seen.has(keyNode.value)) throw new UserError(`${this.fmt(keyNode)}: invalid YAML: Map keys must be unique`);
          seen.add(keyNode.value);
        }
        const key = isScalar(keyNode) ? String(keyNode.value) : String(this.read(keyNode));
        const valueNode = pair.value as Node | null;
        const keyLoc = this.at(keyNode?.range?.[0]);
        info.entries.set(key, { key: keyLoc, value: valueNode?.range ? this.at(valueNode.range[0]) : keyLoc, tag: tagOf(valueNode) });
        out[key] = this.read(valueNode);
      }
      // explicit keys win over merged ones; earlier merge sources win over later ones
      for (const src of merged) {
        for (const [k, v] of Object.entries(src)) {
          if (k in out) continue;
          out[k] = v;
          const e = ensureInfo(src).entries.get(k);
          if (e) info.entries.set(k, e);
        }
      }
      return out;
    }
    return null;
  }

  private mergeSources(node: Node): PlainMap[] {
    if (isSeq(node)) return node.items.flatMap((n) => this.mergeSources(n as Node));
    const v = this.read(node);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw new UserError(`${this.fmt(node)}: a YAML merge key (<<) needs a mapping or a list of mappings`);
    }
    return [v];
  }

  private fmt(node: Node): string {
    const l = this.at(node.range?.[0]);
    return `${l.file}:${l.line}:${l.column}`;
  }
}

function tagOf(node: Node | null | undefined): Tag | undefined {
  const tag = (node as { tag?: string } | null)?.tag;
  if (tag === '!reset') return 'reset';
  if (tag === '!override') return 'override';
  return undefined;
}
