// `docker import --change 'CMD ["sh"]'`: Dockerfile config instructions applied to an empty config.
import type { ImageRuntimeConfig } from '../../contracts.js';
import { invalid } from '../../errors.js';
import { parseDockerfile } from './dockerfile.js';
import { applyMetadata, METADATA_KEYWORDS } from './metadata.js';

export function applyChanges(changes: string[], base: ImageRuntimeConfig = {}): ImageRuntimeConfig {
  const config: ImageRuntimeConfig = structuredClone(base);
  for (const change of changes) {
    for (const instr of parseDockerfile(change)) {
      if (!METADATA_KEYWORDS.has(instr.keyword)) throw invalid(`${instr.keyword} is not a valid change command`);
      try {
        applyMetadata(config, instr, {});
      } catch (err) {
        throw invalid((err as Error).message);
      }
    }
  }
  return config;
}
