// `docker import --change 'CMD ["sh"]'`: Dockerfile config instructions applied to an empty config.
import type { ImageRuntimeConfig } from '../../contracts.js';
import { badRequest } from '../../api/http.js';
import { parseDockerfile } from './dockerfile.js';
import { applyMetadata, METADATA_KEYWORDS } from './metadata.js';

export function applyChanges(changes: string[], base: ImageRuntimeConfig = {}): ImageRuntimeConfig {
  const config: ImageRuntimeConfig = structuredClone(base);
  for (const change of changes) {
    for (const instr of parseDockerfile(change)) {
      if (!METADATA_KEYWORDS.has(instr.keyword)) throw badRequest(`${instr.keyword} is not a valid change command`);
      try { applyMetadata(config, instr, {}); } catch (err) { throw badRequest((err as Error).message); }
    }
  }
  return config;
}
