// A stack file's text to located plain values: from the YAML cache when this text was read before by this
// reader, else by yaml-reader.ts, loaded (with the yaml package) only then.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Plain } from './located.js';
import { cacheDirectory, openYamlCache, type YamlCache } from './yaml-cache.js';

// set by scripts/bundle-cli.mjs: the hash of the reader's sources and of the yaml package's version
declare const __TSCOMPOSE_YAML_READER__: string | undefined;

/** What the cached values depend on besides the text: the reader's code and the yaml package. Run from
 *  sources or from tsc's output, the reader's files are next to this one; the bundle has it built in. */
function readerFingerprint(): string {
  if (typeof __TSCOMPOSE_YAML_READER__ === 'string') return __TSCOMPOSE_YAML_READER__;
  const hash = createHash('sha256');
  for (const name of ['yaml-reader', 'located', 'located-codec']) {
    for (const ext of ['.ts', '.js']) {
      try {
        hash.update(readFileSync(new URL(`./${name}${ext}`, import.meta.url)));
      } catch {
        /* the other extension */
      }
    }
  }
  try {
    hash.update(readFileSync(new URL('../../node_modules/yaml/package.json', import.meta.url)));
  } catch {
    hash.update('yaml: version unknown');
  }
  return hash.digest('hex');
}

let cache: YamlCache | undefined | null = null;

export async function readYamlCached(text: string, file: string): Promise<Plain> {
  if (cache === null) cache = openYamlCache(cacheDirectory(), readerFingerprint());
  const hit = cache?.get(text, file);
  if (hit !== undefined) return hit;
  const { readYaml } = await import('./yaml-reader.js');
  const value = readYaml(text, file);
  cache?.put(text, value);
  return value;
}
