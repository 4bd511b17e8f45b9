// Single-container operations the plan is made of.
import { existsSync, mkdirSync } from 'node:fs';
import type Docker from 'dockerode';
import type { Service } from '../model/types.js';
import { serviceConfigHash } from './config-hash.js';
import { containerSpec } from './container-spec.js';
import type { ReconcileContext } from './context.js';
import { isNotFound, isNotModified, serviceError } from './engine-errors.js';
import { serviceEnvironment } from './environment.js';
import { serviceImage } from './names.js';
import { durationSeconds } from './duration.js';

export interface CreateRequest { service: Service; number: number; name: string; oneoff?: boolean; containerOf: (service: string) => string | undefined }

function prepareBindSources(service: Service, workingDir: string) {
  for (const v of service.volumes) {
    if (v.type !== 'bind' || !v.source || v.bind?.createHostPath === false) continue;
    const src = v.source.startsWith('/') ? v.source : `${workingDir}/${v.source}`;
    if (!existsSync(src)) mkdirSync(src, { recursive: true });
  }
}

export async function createContainer(ctx: ReconcileContext, req: CreateRequest, override?: (spec: Docker.ContainerCreateOptions) => void): Promise<Docker.Container> {
  const { docker, project } = ctx;
  const { service } = req;
  let imageId: string | undefined;
  try { imageId = (await docker.getImage(serviceImage(project.name, service)).inspect()).Id; } catch { /* reported by create */ }
  const spec = containerSpec({
    project, service, number: req.number, name: req.name, oneoff: req.oneoff,
    configHash: serviceConfigHash(service), imageId, env: serviceEnvironment(project, service), containerOf: req.containerOf,
  });
  override?.(spec.create);
  prepareBindSources(service, project.workingDir);
  let container: Docker.Container;
  try {
    container = await docker.createContainer(spec.create);
  } catch (err) {
    throw serviceError(service.name, `creating container ${req.name}`, err);
  }
  try {
    for (const n of spec.extraNetworks) await docker.getNetwork(n.name).connect({ Container: container.id, EndpointConfig: n.endpoint });
  } catch (err) {
    await container.remove({ force: true }).catch(() => {});
    throw serviceError(service.name, `connecting container ${req.name} to its networks`, err);
  }
  return container;
}

export async function startContainer(service: string, container: Docker.Container, name: string): Promise<void> {
  try { await container.start(); } catch (err) {
    if (isNotModified(err)) return;
    throw serviceError(service, `starting container ${name}`, err);
  }
}

export async function stopContainer(container: Docker.Container, timeoutSeconds?: number): Promise<void> {
  try { await container.stop(timeoutSeconds === undefined ? {} : { t: timeoutSeconds }); } catch (err) {
    if (!isNotModified(err) && !isNotFound(err)) throw err;
  }
}

export async function removeContainer(container: Docker.Container, removeVolumes = false): Promise<void> {
  try { await container.remove({ force: true, v: removeVolumes }); } catch (err) {
    if (!isNotFound(err) && !/already in progress/.test(String((err as Error).message))) throw err;
  }
}

export const stopTimeout = (service: Service | undefined, flag?: number): number | undefined =>
  flag ?? durationSeconds(service?.stopGracePeriod);
