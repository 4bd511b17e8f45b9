// Engine object names, as docker compose v2 spells them.
import type { Project, Service } from '../model/types.js';

export const containerName = (project: string, service: Service, number: number): string =>
  service.containerName ?? `${project}-${service.name}-${number}`;

/** The image a service runs: its `image:` or, for a build without one, `<project>-<service>`. */
export const serviceImage = (project: string, service: Service): string => service.image ?? `${project}-${service.name}`;

export const defaultNetworkKey = 'default';

/** The engine name of a project network key, whether or not the model declares it. */
export const networkName = (project: Project, key: string): string => project.networks[key]?.name ?? `${project.name}_${key}`;

export const volumeName = (project: Project, key: string): string => project.volumes[key]?.name ?? `${project.name}_${key}`;

/** Network keys a service joins; none declared and no network_mode = the project's default network. */
export function serviceNetworkKeys(service: Service): string[] {
  if (service.networkMode) return [];
  const keys = Object.keys(service.networks);
  return keys.length ? keys : [defaultNetworkKey];
}
