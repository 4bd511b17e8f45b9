// What the pure translation needs from outside: secret and config data, resolved environments and
// the image each service deploys, pinned by the digest its registry serves so every node runs the
// same image (and a new push under the same tag is a new spec, so the service rolls).
import type { Project } from '../model/types.js';
import { serviceEnvironment } from '../reconcile/environment.js';
import { readObjectData } from './objects.js';
import type { StackInputs } from './stack.js';
import type { SwarmApi } from './api.js';
import type { AuthConfig } from './registry-auth.js';

export interface ImageResolution {
  /** images already pinned (just pushed): "image as written" → "image@digest" */
  pinned?: Record<string, string>;
  /** credentials for an image's registry */
  registryAuth?: (image: string) => AuthConfig | undefined;
}

export async function stackInputs(
  api: SwarmApi,
  project: Project,
  services: string[],
  warn: (line: string) => void,
  resolution: ImageResolution = {},
): Promise<StackInputs> {
  const selected = services.length ? services : Object.keys(project.services);
  const chosen = selected.map((name) => project.services[name]).filter((s) => !!s);
  const data = (kind: 'secret' | 'config') => {
    const defs = kind === 'secret' ? project.secrets : project.configs;
    const keys = new Set(chosen.flatMap((s) => (kind === 'secret' ? s.secrets : s.configs).map((r) => r.source)));
    return Object.fromEntries(
      [...keys].filter((k) => defs[k] && !defs[k].external).map((k) => [k, readObjectData(project, kind, defs[k]!)]),
    );
  };
  const environments = Object.fromEntries(chosen.map((s) => [s.name, serviceEnvironment(project, s)]));
  const refs = [...new Set(chosen.map((s) => s.image).filter((i): i is string => !!i))];
  const pinned = new Map<string, string>(Object.entries(resolution.pinned ?? {}));
  await Promise.all(
    refs.map(async (ref) => {
      if (ref.includes('@') || pinned.has(ref)) return; // already pinned
      try {
        pinned.set(ref, `${ref}@${await api.imageDigest(ref, resolution.registryAuth?.(ref))}`);
      } catch (err) {
        warn(
          `image ${ref}: its digest could not be resolved (${(err as Error).message.split('\n')[0]}); each node resolves the tag itself and may run a different image`,
        );
      }
    }),
  );
  const images = Object.fromEntries(chosen.filter((s) => s.image).map((s) => [s.name, pinned.get(s.image!) ?? s.image!]));
  return { services: selected, secretData: data('secret'), configData: data('config'), environments, images };
}
