// The config hash: a digest of what a service's containers are made from. A container whose label
// differs from the model's hash is recreated. Fields that do not shape a container (scale, build,
// pull policy, develop, attach, profiles) are left out so changing them does not recreate.
import { createHash } from 'node:crypto';
import type { Service } from '../model/types.js';

const IGNORED: (keyof Service)[] = ['scale', 'build', 'pullPolicy', 'develop', 'attach', 'profiles'];

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function serviceConfigHash(service: Service): string {
  const subject: Record<string, unknown> = { ...service };
  for (const key of IGNORED) delete subject[key];
  if (service.deploy) subject.deploy = { ...service.deploy, replicas: undefined };
  return createHash('sha256')
    .update(JSON.stringify(canonical(subject)))
    .digest('hex');
}
