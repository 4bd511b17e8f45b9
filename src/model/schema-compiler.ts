// The schema validator: compiled by ajv at run time (≈0.5 s for the whole Compose schema), or, much
// faster, loaded from the standalone module schemas/compose.validate.cjs generated from the same
// schema. The module records the schema's hash; a stale module is ignored.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv as AjvClass, Options, ValidateFunction } from 'ajv';

// ajv itself (~50 modules) is loaded only to compile: normally the standalone module is current
const requireHere = createRequire(import.meta.url);
const loadAjv = () => (requireHere('ajv') as { Ajv: typeof AjvClass }).Ajv;

export const SCHEMA_URL = new URL('../../schemas/compose.schema.json', import.meta.url);
export const STANDALONE_URL = new URL('../../schemas/compose.validate.cjs', import.meta.url);

const AJV_OPTIONS: Options = { allErrors: false, verbose: true, strict: false, allowUnionTypes: true, inlineRefs: false };

export function schemaHash(schemaText: string): string {
  return createHash('sha256').update(schemaText).digest('hex').slice(0, 16);
}

export function compileAtRunTime(schemaText: string): ValidateFunction {
  const Ajv = loadAjv();
  return new Ajv(AJV_OPTIONS).compile(JSON.parse(schemaText) as object);
}

/** The CommonJS source of a standalone validator for `schemaText`, stamped with its hash. */
export function standaloneSource(schemaText: string): string {
  const Ajv = loadAjv();
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  const validate = ajv.compile(JSON.parse(schemaText) as object);
  const standalone = requireHere('ajv/dist/standalone') as { default: (a: AjvClass, v: ValidateFunction) => string };
  const toCode = standalone.default;
  return `// Generated from compose.schema.json by src/model/schema-compiler.ts: do not edit.\n${toCode(ajv, validate)}\nmodule.exports.schemaHash = ${JSON.stringify(schemaHash(schemaText))};\n`;
}

export function loadValidator(): ValidateFunction {
  const schemaText = readFileSync(SCHEMA_URL, 'utf8');
  try {
    const mod = requireHere(fileURLToPath(STANDALONE_URL)) as ValidateFunction & { schemaHash?: string; default?: ValidateFunction };
    if (mod.schemaHash === schemaHash(schemaText)) return mod.default ?? mod;
  } catch {
    // no generated module: compile below
  }
  return compileAtRunTime(schemaText);
}

// `node --import tsx src/model/schema-compiler.ts` regenerates schemas/compose.validate.cjs
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(STANDALONE_URL, standaloneSource(readFileSync(SCHEMA_URL, 'utf8')));
}
