// volumes/: named volumes, bind and tmpfs mounts, and which containers use them.
import type { EngineContext } from '../contracts.js';
import { LocalVolumeService } from './service.js';

export { LocalVolumeService } from './service.js';

export function createVolumeService(ctx: EngineContext): LocalVolumeService {
  return new LocalVolumeService(ctx);
}
