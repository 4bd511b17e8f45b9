// volumes/: named volumes, bind and tmpfs mounts, and the /volumes routes.
// Placeholder until volumes land; the factory signature is the contract engine.ts uses.
import type { EngineContext, VolumeService } from '../contracts.js';

export function createVolumeService(_ctx: EngineContext): VolumeService {
  return {
    async resolve(_id, m) {
      if (m.Type === 'tmpfs') return { type: 'tmpfs', source: 'tmpfs', destination: m.Target, options: ['nosuid', 'nodev'] };
      return { type: 'bind', source: m.Source ?? '', destination: m.Target, options: ['rbind', m.ReadOnly ? 'ro' : 'rw'] };
    },
    async release() {},
    registerRoutes() {},
  };
}
