// `docker stack deploy --with-registry-auth`, always on: each service is created and updated with the
// credentials ~/.docker/config.json holds for its image's registry, so the manager hands them to the
// nodes that pull it. A registry without an entry gets no header (anonymous pulls).
import { authConfigFor } from '../registry/credentials.js';
import { parseReference } from '../registry/reference.js';

export type AuthConfig = Record<string, string>;

/** The credentials for the registry of `image`, or undefined; read once per registry per deploy. */
export function registryAuthLookup(configDir?: string): (image: string) => AuthConfig | undefined {
  const byDomain = new Map<string, AuthConfig | undefined>();
  return (image) => {
    let domain: string;
    try {
      domain = parseReference(image).domain;
    } catch {
      return undefined;
    }
    if (!byDomain.has(domain)) byDomain.set(domain, authConfigFor(domain, configDir));
    return byDomain.get(domain);
  };
}
