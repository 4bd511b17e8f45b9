// Build keys the model and `config` carry but neither engine's builder can honour: both take the classic
// /build protocol, which has no cache export (cache_to), no privileged build steps (docker compose's
// classic builder refuses `privileged` too) and, on Linux, no isolation other than "default"; the bundled
// engine's builder sets no rlimits on build steps (ulimits). Refused by name rather than dropped.
import type { Service } from '../model/types.js';
import { UserError } from '../errors.js';

/** The unsupported build keys a service uses, by their names in the stack file. */
export function unsupportedBuildKeys(service: Service): string[] {
  const b = service.build;
  if (!b) return [];
  const found: string[] = [];
  if (b.cacheTo?.length) found.push('build.cache_to');
  if (b.privileged) found.push('build.privileged');
  if (b.isolation !== undefined && b.isolation !== 'default') found.push(`build.isolation: ${b.isolation}`);
  if (b.ulimits && Object.keys(b.ulimits).length) found.push('build.ulimits');
  return found;
}

/** Throws before a build starts when the service uses a build key that would be silently ignored. */
export function refuseUnsupportedBuildKeys(service: Service): void {
  const found = unsupportedBuildKeys(service);
  if (!found.length) return;
  throw new UserError(
    `service "${service.name}" uses ${found.join(', ')}: tscompose does not support ${found.length > 1 ? 'these keys' : 'this key'} yet when building images (docker compose config shows ${found.length > 1 ? 'them' : 'it'})`,
  );
}
