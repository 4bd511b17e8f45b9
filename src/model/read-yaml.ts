// A stack file's text to located plain values: from the YAML cache when this text was read before by this
// reader, else by yaml-reader.ts, loaded (with the yaml package) only then.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Plain } from './located.js';
import { openYamlCache, type YamlCache } from './yaml-cache.js';
import { cacheDirectory } from '../cache-directory.js';

// set by scripts/bundle-cli.mjs: the hash of the reader's sources and of the yaml package's version
declare const __TSCOMPOSE_YAML_READER__: string | undefined;

/** The modules whose code decides what reading a text gives (with the yaml package). */
const READER_MODULES = ['yaml-reader', 'located', 'located-codec'];

/** What the cached values depend on besides the text: the reader's modules in `modelDir` (sources or tsc's
 *  output) and the yaml package's package.json two levels up. scripts/bundle-cli.mjs builds the bundle's
 *  value with this too, from src/model/. */
export function readerFingerprintOf(modelDir: URL): string {
  const hash = createHash('sha256');
  for (const name of READER_MODULES) {
    for (const ext of ['.ts', '.js']) {
      try {
        hash.update(readFileSync(new URL(`${name}${ext}`, modelDir)));
      } catch {
        /* the other extension */
      }
    }
  }
  try {
    hash.update(readFileSync(new URL('../../node_modules/yaml/package.json', modelDir)));
  } catch {
    hash.update('yaml: version unknown');
  }
  return hash.digest('hex');
}

/** The bundle has its fingerprint built in; run from sources or tsc's output, the reader is next to this file. */
const readerFingerprint = (): string =>
  typeof __TSCOMPOSE_YAML_READER__ === 'string' ? __TSCOMPOSE_YAML_READER__ : readerFingerprintOf(new URL('./', import.meta.url));

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
