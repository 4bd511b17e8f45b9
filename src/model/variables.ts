// The interpolation variables a project's stack files use, for `config --variables`.
import { readFileSync } from 'node:fs';
import type { LoadOptions } from './types.js';
import { projectFiles, STDIN_FILE_LABEL } from './index.js';
import { STDIN } from './discovery.js';
import { readYamlCached } from './read-yaml.js';
import { isMap, type Plain } from './located.js';
import { templateVariables, type TemplateVariable } from './interpolate.js';
import { byCodepoint } from '../codepoint-order.js';

export function collectVariables(value: Plain, into: Map<string, TemplateVariable>): void {
  if (typeof value === 'string') {
    for (const v of templateVariables(value)) {
      const prev = into.get(v.name);
      into.set(v.name, {
        name: v.name,
        required: (prev?.required ?? false) || v.required,
        defaultValue: prev?.defaultValue ?? v.defaultValue,
        alternateValue: prev?.alternateValue ?? v.alternateValue,
      });
    }
  } else if (Array.isArray(value)) {
    for (const x of value) collectVariables(x, into);
  } else if (isMap(value)) {
    for (const x of Object.values(value)) collectVariables(x, into);
  }
}

export async function projectVariables(opts: LoadOptions): Promise<TemplateVariable[]> {
  const found = new Map<string, TemplateVariable>();
  for (const file of projectFiles(opts).files) {
    const text = file === STDIN ? (opts.stdin ?? readFileSync(0, 'utf8')) : readFileSync(file, 'utf8');
    collectVariables(await readYamlCached(text, file === STDIN ? STDIN_FILE_LABEL : file), found);
  }
  return [...found.values()].sort((a, b) => byCodepoint(a.name, b.name));
}
