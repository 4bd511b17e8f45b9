// POST /images/create: `fromSrc` imports a rootfs tarball, `fromImage` pulls from a registry.
import type { ImageRouteModule } from './service.js';
import { invalid } from '../errors.js';
import { pullRoute } from './pull/route.js';

export const createRoutes: ImageRouteModule = {
  register(router, service) {
    router.add('POST', '/images/create', async (c) => {
      if (c.query.get('fromSrc')) return service.importRoute(c);
      if (c.query.get('fromImage')) return pullRoute(c, service);
      throw invalid('fromImage or fromSrc is required');
    });
  },
};
