// Images for a swarm: built on the local build engine and pushed to the registry their name points at,
// so every node pulls the same bytes; the digest the registry stored is what the services deploy.
import type { EngineClient } from '../client/engine-client.js';
import type { Project } from '../model/types.js';
import { UserError } from '../errors.js';
import { buildService } from '../reconcile/index.js';
import type { ProgressReporter } from '../reconcile/progress.js';
import { pushServiceImage } from '../cli/commands/push.js';

/** Services of `selected` (all when empty) that have `build:`; each must name its image. */
export function buildableServices(project: Project, selected: string[]): string[] {
  const names = (selected.length ? selected : Object.keys(project.services)).filter((n) => project.services[n]?.build).sort();
  for (const n of names) {
    if (!project.services[n]!.image) {
      throw new UserError(
        `service "${n}" has build: but no image:. On a swarm every node pulls the image from a registry: name it there, e.g. image: registry.example:5000/${project.name}-${n}`,
      );
    }
  }
  return names;
}

/** Builds and pushes each buildable service's image; returns "image as written" → "image@digest". */
export async function buildAndPush(
  engine: EngineClient,
  project: Project,
  services: string[],
  progress: ProgressReporter,
): Promise<Record<string, string>> {
  const pinned: Record<string, string> = {};
  // services sharing one image name build it once
  const byImage = new Map<string, string>();
  for (const n of buildableServices(project, services))
    if (!byImage.has(project.services[n]!.image!)) byImage.set(project.services[n]!.image!, n);
  await Promise.all(
    [...byImage].map(async ([image, service]) => {
      await buildService(engine, project, project.services[service]!, progress);
      const digest = await pushServiceImage(engine, service, image, progress);
      pinned[image] = `${image.replace(/@sha256:[a-f0-9]{64}$/, '')}@${digest}`;
    }),
  );
  return pinned;
}
