// Removes everything the given projects own on an engine. Run as a child process by the exit hook
// (cleanup-on-exit.ts) because a dying process can only do synchronous work.
// argv[2] = JSON CleanupRequest.
import Docker from 'dockerode';
import type { EngineClient } from '../client/engine-client.js';
import { dockerEngineClient } from '../client/docker-engine-client.js';
import { projectFilter } from '../labels.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CleanupRequest {
  engine: { socketPath?: string; host?: string; port?: number | string; protocol?: 'http' | 'https' | 'ssh' };
  projects: { name: string; removeVolumes: boolean; images?: string[] }[];
}

export async function removeProjectResources(
  engine: EngineClient,
  project: string,
  removeVolumes: boolean,
  images: string[] = [],
): Promise<void> {
  const filters = projectFilter(project);
  const containers = await engine.listContainers({ all: true, filters });
  await Promise.all(containers.map((c) => engine.removeContainer(c.Id, { force: true, volumes: true }).catch(() => undefined)));
  const networks = await engine.listNetworks(filters);
  await Promise.all(networks.map((n) => engine.removeNetwork(n.Id).catch(() => undefined)));
  if (removeVolumes) {
    const volumes = await engine.listVolumes(filters);
    await Promise.all(volumes.map((v) => engine.removeVolume(v.Name).catch(() => undefined)));
  }
  await Promise.all(images.map((ref) => engine.removeImage(ref).catch(() => undefined)));
}

async function main(raw: string): Promise<void> {
  const request = JSON.parse(raw) as CleanupRequest;
  const engine = dockerEngineClient(new Docker(request.engine));
  for (const p of request.projects) {
    await removeProjectResources(engine, p.name, p.removeVolumes, p.images).catch((err) => {
      process.stderr.write(`tscompose: cleanup of project ${p.name} failed: ${(err as Error).message}\n`);
    });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv[2] ?? '{"engine":{},"projects":[]}');
}
