// Removes everything the given projects own on an engine. Run as a child process by the exit hook
// (cleanup-on-exit.ts) because a dying process can only do synchronous work.
// argv[2] = JSON CleanupRequest.
import Docker from 'dockerode';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CleanupRequest {
  engine: { socketPath?: string; host?: string; port?: number | string; protocol?: 'http' | 'https' | 'ssh' };
  projects: { name: string; removeVolumes: boolean; images?: string[] }[];
}

const PROJECT_LABEL = 'com.docker.compose.project';

export async function removeProjectResources(docker: Docker, project: string, removeVolumes: boolean, images: string[] = []): Promise<void> {
  const filters = { label: [`${PROJECT_LABEL}=${project}`] };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
  if (removeVolumes) {
    const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
    await Promise.all(volumes.map((v) => docker.getVolume(v.Name).remove().catch(() => undefined)));
  }
  await Promise.all(images.map((ref) => docker.getImage(ref).remove().catch(() => undefined)));
}

async function main(raw: string): Promise<void> {
  const request = JSON.parse(raw) as CleanupRequest;
  const docker = new Docker(request.engine);
  for (const p of request.projects) {
    await removeProjectResources(docker, p.name, p.removeVolumes, p.images).catch((err) => {
      process.stderr.write(`tscompose: cleanup of project ${p.name} failed: ${(err as Error).message}\n`);
    });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv[2] ?? '{"engine":{},"projects":[]}');
}
