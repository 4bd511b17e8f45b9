// Every YAML file of the shared compose corpus (/work/shared/compose-corpus) comes back from the YAML cache's
// encoding with the values and positions that reading it gave: what a cached `config` or `up` sees is what
// parsing the file would have given. Skipped when the corpus is not on this machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { readYaml } from '../../../src/model/yaml-reader.js';
import { decodeLocated, encodeLocated } from '../../../src/model/located-codec.js';
import type { Plain } from '../../../src/model/located.js';
import { locatedTree as located } from '../../helpers/located-tree.js';

const corpus = process.env.COMPOSE_CORPUS ?? '/work/shared/compose-corpus';

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}

test('every corpus file decodes from the cache encoding as it was read', { skip: !existsSync(corpus) && 'no corpus here' }, () => {
  let compared = 0;
  for (const file of yamlFiles(corpus)) {
    const text = readFileSync(file, 'utf8');
    let read: Plain;
    try {
      read = readYaml(text, file);
    } catch {
      continue; // malformed on purpose: nothing is cached for it
    }
    if (text.includes('__proto__')) continue; // never cached
    assert.deepEqual(located(decodeLocated(encodeLocated(read), file)), located(read), file);
    compared++;
  }
  assert.ok(compared > 250, `${compared} files compared`);
});
