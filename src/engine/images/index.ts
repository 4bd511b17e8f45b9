// images/: the OCI content store, load/import/build/pull; api/image-routes.ts and friends serve it.
import type { EngineContext, OneShotRunner } from '../contracts.js';
import { type BundledImageService, ImageServiceImpl } from './service.js';

export type { BundledImageService, ImageUsageProbe } from './service.js';

export function createImageService(ctx: EngineContext, runner: OneShotRunner): BundledImageService {
  return new ImageServiceImpl(ctx, runner);
}
