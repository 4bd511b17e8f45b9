// Schema validation of one stack file with ajv (schemas/compose.schema.json, compiled once per
// process). The first problem becomes one message: file:line:column, key path, what was expected,
// and "did you mean" for a misspelt key.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { UserError } from '../errors.js';
import type { PlainMap } from './located.js';
import { problemAt, type KeyPath } from './problems.js';
import { closest } from './did-you-mean.js';
import { loadValidator, SCHEMA_URL, STANDALONE_URL } from './schema-compiler.js';
import { openValidatedDocuments, type ValidatedDocuments } from './validation-cache.js';

type SchemaNode = { properties?: Record<string, unknown>; 'x-expected'?: string; enum?: unknown[]; type?: string | string[] };

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  compiled ??= loadValidator();
  return compiled;
}

let accepted: ValidatedDocuments | undefined | null = null;

export function validateDocument(doc: PlainMap, file: string): void {
  if (accepted === null) accepted = openValidatedDocuments([SCHEMA_URL, STANDALONE_URL]);
  const key = accepted?.keyOf(doc);
  if (key && accepted!.has(key)) return;
  const validate = validator();
  if (validate(doc)) {
    if (key) accepted!.add(key);
    return;
  }
  throw describe(validate.errors ?? [], doc, file);
}

function segments(instancePath: string): KeyPath {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => {
      const seg = s.replace(/~1/g, '/').replace(/~0/g, '~');
      return /^\d+$/.test(seg) ? Number(seg) : seg;
    });
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  null: 'nothing (null)',
};

function describe(errors: ErrorObject[], doc: PlainMap, file: string): UserError {
  const depth = Math.max(...errors.map((e) => segments(e.instancePath).length));
  const deepest = errors.filter((e) => segments(e.instancePath).length === depth);
  const path = segments(deepest[0]!.instancePath);
  const fail = (msg: string, at: KeyPath = path, which: 'key' | 'value' = 'value') => problemAt(doc, at, msg, which, file);

  const extra = deepest.find((e) => e.keyword === 'additionalProperties');
  if (extra) {
    const key = (extra.params as { additionalProperty: string }).additionalProperty;
    const parent = extra.parentSchema as SchemaNode;
    const known = Object.keys(parent.properties ?? {});
    const section = path.length === 1 ? String(path[0]) : undefined;
    if (section && ['services', 'networks', 'volumes', 'secrets', 'configs', 'models'].includes(section)) {
      return fail(`invalid name "${key}": names may contain only letters, digits, ".", "_" and "-"`, [...path, key], 'key');
    }
    const guess = closest(key, known);
    const hint = guess ? ` (did you mean "${guess}"?)` : '';
    const where = path.length === 0 ? 'at the top level' : '';
    return fail(`unknown key "${key}"${where ? ` ${where}` : ''}${hint}; custom keys must start with "x-"`, [...path, key], 'key');
  }
  const unique = deepest.find((e) => e.keyword === 'uniqueItems');
  if (unique) {
    const { i, j } = unique.params as { i: number; j: number };
    const [first, second] = [Math.min(i, j), Math.max(i, j)];
    return fail(`duplicate entry: item ${second} repeats item ${first}`, [...path, second]);
  }
  const required = deepest.find((e) => e.keyword === 'required');
  if (required) {
    return fail(`missing required key "${(required.params as { missingProperty: string }).missingProperty}"`);
  }
  const withExpected = deepest.find((e) => (e.parentSchema as SchemaNode | undefined)?.['x-expected']);
  if (withExpected)
    return fail(`expected ${(withExpected.parentSchema as SchemaNode)['x-expected']}, got ${describeValue(withExpected.data)}`);
  const en = deepest.find((e) => e.keyword === 'enum' || e.keyword === 'const');
  if (en) {
    const allowed = (en.params as { allowedValues?: unknown[]; allowedValue?: unknown }).allowedValues ?? [
      (en.params as { allowedValue: unknown }).allowedValue,
    ];
    return fail(`expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describeValue(en.data)}`);
  }
  const pattern = deepest.find((e) => e.keyword === 'pattern');
  if (pattern)
    return fail(`invalid value ${describeValue(pattern.data)}: it does not match ${(pattern.params as { pattern: string }).pattern}`);
  const types = deepest
    .filter((e) => e.keyword === 'type')
    .flatMap((e) => {
      const t = (e.params as { type: string | string[] }).type;
      return Array.isArray(t) ? t : t.split(',');
    });
  if (types.length) {
    const words = [...new Set(types.map((t) => TYPE_WORDS[t] ?? t))];
    const list = words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words.at(-1)}` : words[0];
    return fail(`expected ${list}, got ${describeValue(deepest[0]!.data)}`);
  }
  const e = deepest[0]!;
  return fail(`${e.message ?? 'invalid value'}`);
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}
