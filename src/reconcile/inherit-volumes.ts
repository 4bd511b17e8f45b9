// A recreated container keeps its anonymous volumes, as docker compose does: the data a service keeps in an
// unnamed volume (`volumes: [/data]`, or the image's VOLUME) survives a config change.
import type { ContainerCreateBody, ContainerDetails } from '../client/engine-client.js';

/** `declared`: the old container's config listed the target as a volume (the image's VOLUME, usually) */
export interface InheritedVolume {
  target: string;
  name: string;
  declared: boolean;
}

/** The old container's anonymous volumes: volume mounts at targets its config declares as volumes (Config.Volumes
 *  holds the image's VOLUMEs and the service's unnamed ones), not named by the project. */
export function anonymousVolumes(info: ContainerDetails | undefined): InheritedVolume[] {
  if (!info) return [];
  const declared = new Set(Object.keys(info.Config?.Volumes ?? {}));
  const named = new Set(
    ((info.HostConfig as { Mounts?: { Type?: string; Source?: string; Target?: string }[] }).Mounts ?? [])
      .filter((m) => m.Type === 'volume' && m.Source)
      .map((m) => m.Target),
  );
  return (info.Mounts ?? [])
    .filter(
      (m) =>
        m.Type === 'volume' && m.Name && !named.has(m.Destination) && (declared.has(m.Destination) || isUnnamedInSpec(info, m.Destination)),
    )
    .map((m) => ({ target: m.Destination, name: m.Name!, declared: declared.has(m.Destination) }));
}

function isUnnamedInSpec(info: ContainerDetails, target: string): boolean {
  const mounts = (info.HostConfig as { Mounts?: { Type?: string; Source?: string; Target?: string }[] }).Mounts ?? [];
  return mounts.some((m) => m.Type === 'volume' && !m.Source && m.Target === target);
}

/** Gives the new container the old one's volume at each target it still wants an anonymous volume at (declared
 *  unnamed in the service, or by its image), never where the service now mounts something else. */
export function inheritVolumes(spec: ContainerCreateBody, inherited: InheritedVolume[]): void {
  const hostConfig = (spec.HostConfig ??= {});
  const mounts = (hostConfig.Mounts ??= []) as { Type: string; Source?: string; Target: string; ReadOnly?: boolean }[];
  for (const { target, name, declared } of inherited) {
    const m = mounts.find((x) => x.Target === target);
    if (!m && declared) mounts.push({ Type: 'volume', Source: name, Target: target });
    else if (m && m.Type === 'volume' && !m.Source) m.Source = name;
  }
}
