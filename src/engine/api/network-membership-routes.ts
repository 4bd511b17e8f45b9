// POST /networks/{id}/connect|disconnect: served by the containers part, which records the membership and asks
// the network part for the interface of a running container.
import type { ContainerManagement } from '../contracts.js';
import type { EndpointConfig } from '../containers/docker-config.js';
import { readJson, sendJson } from './http.js';
import { invalid } from '../errors.js';
import type { Router } from './router.js';

export function registerNetworkMembershipRoutes(router: Router, containers: ContainerManagement): void {
  router.add('POST', '/networks/:id/connect', async ({ req, res, params }) => {
    const body = await readJson<{ Container?: string; EndpointConfig?: EndpointConfig | null }>(req);
    if (!body.Container) throw invalid('connect: Container is required');
    await containers.connectNetwork(params.id!, body.Container, body.EndpointConfig ?? {});
    sendJson(res, 200, {});
  });
  router.add('POST', '/networks/:id/disconnect', async ({ req, res, params }) => {
    const body = await readJson<{ Container?: string; Force?: boolean }>(req);
    if (!body.Container) throw invalid('disconnect: Container is required');
    await containers.disconnectNetwork(params.id!, body.Container);
    sendJson(res, 200, {});
  });
}
