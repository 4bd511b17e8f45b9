// images/: the OCI content store, load/import/build/pull and the /images, /build routes.
import type { EngineContext, OneShotRunner } from '../contracts.js';
import { type BundledImageService, ImageServiceImpl } from './service.js';
import { buildRoutes } from './build/route.js';
import { createRoutes } from './create-route.js';

export type { BundledImageService, ImageUsageProbe } from './service.js';

export function createImageService(ctx: EngineContext, runner: OneShotRunner): BundledImageService {
  return new ImageServiceImpl(ctx, runner, [createRoutes, buildRoutes]);
}
