// images/: the OCI content store, load/import/build/pull and the /images, /build routes.
// Placeholder until the image store lands; the factory signature is the contract engine.ts uses.
import type { EngineContext, ImageService, OneShotRunner } from '../contracts.js';

export function createImageService(_ctx: EngineContext, _runner: OneShotRunner): ImageService {
  return {
    async resolve() { return undefined; },
    async list() { return []; },
    registerRoutes() {},
  };
}
