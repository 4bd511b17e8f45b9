// Connect and disconnect need both the container and the network subsystem, so the engine serves them
// here, registered before api/network-routes.ts.
import type { NetworkService } from '../contracts.js';
import type { ContainerService } from '../containers/service.js';
import { connectContainer, disconnectContainer, type EndpointConfigBody } from '../containers/network-membership.js';
import { readJson, sendJson } from './http.js';
import { invalid } from '../errors.js';
import type { Router } from './router.js';

export function registerNetworkMembershipRoutes(router: Router, containers: ContainerService, networks: NetworkService): void {
  router.add('POST', '/networks/:id/connect', async ({ req, res, params }) => {
    const body = await readJson<{ Container?: string; EndpointConfig?: EndpointConfigBody | null }>(req);
    if (!body.Container) throw invalid('connect: Container is required');
    await connectContainer(containers, networks, params.id!, body.Container, body.EndpointConfig ?? {});
    sendJson(res, 200, {});
  });
  router.add('POST', '/networks/:id/disconnect', async ({ req, res, params }) => {
    const body = await readJson<{ Container?: string; Force?: boolean }>(req);
    if (!body.Container) throw invalid('disconnect: Container is required');
    await disconnectContainer(containers, networks, params.id!, body.Container);
    sendJson(res, 200, {});
  });
}
