// Observed state: what the engine holds for a project, read from its labelled objects.
import type { ContainerSummary, EngineClient } from '../client/engine-client.js';
import { isOneoff, LABEL, projectFilter } from '../labels.js';
import { byCodepoint } from '../codepoint-order.js';

export interface ObservedContainer {
  id: string;
  name: string; // without the leading slash
  service: string;
  number: number;
  oneoff: boolean;
  configHash?: string;
  imageId: string;
  state: string; // created | running | paused | restarting | exited | dead
  status: string; // human text, e.g. "Up 3 seconds (healthy)"
  labels: Record<string, string>;
}

export interface ObservedNetwork {
  id: string;
  name: string;
  key?: string;
}
export interface ObservedVolume {
  name: string;
  key?: string;
}

export interface ObservedState {
  containers: ObservedContainer[];
  networks: ObservedNetwork[];
  volumes: ObservedVolume[];
  /** image reference -> image id, for the images the project's services use */
  images: Record<string, string>;
}

export function toObservedContainer(c: ContainerSummary): ObservedContainer {
  const labels = c.Labels ?? {};
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
    service: labels[LABEL.service] ?? '',
    number: Number(labels[LABEL.number] ?? 0),
    oneoff: isOneoff(labels),
    configHash: labels[LABEL.configHash],
    imageId: c.ImageID,
    state: c.State,
    status: c.Status,
    labels,
  };
}

export async function observeContainers(
  engine: EngineClient,
  project: string,
  opts: { all?: boolean; oneoff?: boolean } = {},
): Promise<ObservedContainer[]> {
  const list = await engine.listContainers({ all: opts.all ?? true, filters: projectFilter(project) });
  return list
    .map(toObservedContainer)
    .filter((c) => opts.oneoff === undefined || c.oneoff === opts.oneoff)
    .sort((a, b) => byCodepoint(a.service, b.service) || a.number - b.number);
}

export async function observeImages(engine: EngineClient, refs: string[]): Promise<Record<string, string>> {
  const images: Record<string, string> = {};
  await Promise.all(
    refs.map(async (ref) => {
      try {
        images[ref] = (await engine.inspectImage(ref)).Id;
      } catch {
        /* absent */
      }
    }),
  );
  return images;
}

/** The project's containers, networks and volumes: everything observe() gives but the images. */
export async function observeResources(engine: EngineClient, project: string): Promise<Omit<ObservedState, 'images'>> {
  const [containers, networks, volumes] = await Promise.all([
    observeContainers(engine, project, { oneoff: false }),
    engine.listNetworks(projectFilter(project)),
    engine.listVolumes(projectFilter(project)),
  ]);
  return {
    containers,
    networks: networks.map((n) => ({ id: n.Id, name: n.Name, key: n.Labels?.[LABEL.network] })),
    volumes: volumes.map((v) => ({ name: v.Name, key: (v.Labels ?? {})[LABEL.volume] })),
  };
}

export async function observe(engine: EngineClient, project: string, imageRefs: string[] = []): Promise<ObservedState> {
  const [resources, images] = await Promise.all([observeResources(engine, project), observeImages(engine, refs(imageRefs))]);
  return { ...resources, images };
}

const refs = (list: string[]) => [...new Set(list)];
