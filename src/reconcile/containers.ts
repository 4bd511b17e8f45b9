// Single-container operations the plan is made of.
import { existsSync, mkdirSync } from 'node:fs';
import type { ContainerCreateBody, EngineClient } from '../client/engine-client.js';
import type { Service } from '../model/types.js';
import { serviceConfigHash } from './config-hash.js';
import { containerSpec } from './container-spec.js';
import type { ReconcileContext } from './context.js';
import { isConflict, isNotFound, isNotModified, serviceError } from './engine-errors.js';
import { serviceEnvironment } from './environment.js';
import { serviceImage } from './names.js';
import { durationSeconds } from './duration.js';

export interface CreateRequest {
  service: Service;
  number: number;
  name: string;
  oneoff?: boolean;
  containerOf: (service: string) => string | undefined;
}

function prepareBindSources(service: Service, workingDir: string) {
  for (const v of service.volumes) {
    if (v.type !== 'bind' || !v.source || v.bind?.createHostPath === false) continue;
    const src = v.source.startsWith('/') ? v.source : `${workingDir}/${v.source}`;
    if (!existsSync(src)) mkdirSync(src, { recursive: true });
  }
}

/** Creates the container and connects it to its other networks; resolves with its id. */
export async function createContainer(
  ctx: ReconcileContext,
  req: CreateRequest,
  override?: (spec: ContainerCreateBody) => void,
): Promise<string> {
  const { engine, project } = ctx;
  const { service } = req;
  let imageId: string | undefined;
  try {
    imageId = (await engine.inspectImage(serviceImage(project.name, service))).Id;
  } catch {
    /* reported by create */
  }
  const spec = containerSpec({
    project,
    service,
    number: req.number,
    name: req.name,
    oneoff: req.oneoff,
    configHash: serviceConfigHash(service),
    imageId,
    env: serviceEnvironment(project, service),
    containerOf: req.containerOf,
  });
  override?.(spec.create);
  prepareBindSources(service, project.workingDir);
  let id: string;
  try {
    ({ id } = await engine.createContainer(spec.create));
  } catch (err) {
    throw serviceError(service.name, `creating container ${req.name}`, err);
  }
  try {
    for (const n of spec.extraNetworks) await engine.connectNetwork(n.name, id, n.endpoint);
  } catch (err) {
    await engine.removeContainer(id, { force: true }).catch(() => {});
    throw serviceError(service.name, `connecting container ${req.name} to its networks`, err);
  }
  return id;
}

export async function startContainer(engine: EngineClient, service: string, id: string, name: string): Promise<void> {
  try {
    await engine.startContainer(id);
  } catch (err) {
    if (isNotModified(err)) return;
    throw serviceError(service, `starting container ${name}`, err);
  }
}

/** Stops it; one already stopped or gone is fine. */
export async function stopContainer(engine: EngineClient, id: string, timeoutSeconds?: number): Promise<void> {
  try {
    await engine.stopContainer(id, timeoutSeconds);
  } catch (err) {
    if (!isNotModified(err) && !isNotFound(err)) throw err;
  }
}

/** Removes it by force; one gone, or being removed by someone else (a conflict), is fine. */
export async function removeContainer(engine: EngineClient, id: string, removeVolumes = false): Promise<void> {
  try {
    await engine.removeContainer(id, { force: true, volumes: removeVolumes });
  } catch (err) {
    if (!isNotFound(err) && !isConflict(err)) throw err;
  }
}

export const stopTimeout = (service: Service | undefined, flag?: number): number | undefined =>
  flag ?? durationSeconds(service?.stopGracePeriod);
