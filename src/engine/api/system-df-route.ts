// GET /system/df (`docker system df`): what images, containers, volumes and the build cache take on disk.
import type { ImageRecord, VolumeManagement } from '../contracts.js';
import type { ContainerRecord } from '../containers/record.js';
import { summaryView } from '../containers/inspect.js';
import { sendJson } from './http.js';
import type { Router } from './router.js';
import { volumeView } from './volume-routes.js';

export interface DiskUsageSources {
  images(): Promise<ImageRecord[]>;
  containers(): ContainerRecord[];
  volumes: VolumeManagement;
}

export function registerSystemDfRoute(router: Router, src: DiskUsageSources): void {
  router.add('GET', '/system/df', async ({ res }) => {
    const containers = src.containers();
    const images = await src.images();
    const users = (id: string) => containers.filter((c) => c.imageId === id).length;
    sendJson(res, 200, {
      LayersSize: images.reduce((sum, i) => sum + i.size, 0),
      Images: images.map((i) => ({
        Id: i.id,
        ParentId: '',
        RepoTags: i.repoTags,
        RepoDigests: i.repoDigests,
        Created: Math.floor(Date.parse(i.created) / 1000),
        Size: i.size,
        SharedSize: -1,
        VirtualSize: i.size,
        Labels: i.config.Labels ?? null,
        Containers: users(i.id),
      })),
      Containers: containers.map((c) => ({ ...summaryView(c), SizeRw: 0, SizeRootFs: 0 })),
      Volumes: (await src.volumes.usageReport()).map(({ volume, size, refCount }) => ({
        ...volumeView(volume, src.volumes.mountpoint(volume)),
        UsageData: { Size: size, RefCount: refCount },
      })),
      BuildCache: [],
    });
  });
}
