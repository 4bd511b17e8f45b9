// What Docker Engine answers when a feature is off, for the features this engine does not have: clients
// (docker-py, the docker CLI) read a 404 as "no such object", so each gets Docker's own status and message.
import { sendError, sendJson } from './http.js';
import type { Router } from './router.js';

const NOT_A_MANAGER =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

export function registerUnavailableRoutes(router: Router): void {
  const unavailable =
    (message: string) =>
    ({ req, res }: { req: import('node:http').IncomingMessage; res: import('node:http').ServerResponse }) => {
      req.resume();
      sendError(res, 503, message);
    };
  // swarm mode: this engine is a single node that is never part of a swarm
  router.add('POST', '/swarm/leave', unavailable('This node is not part of a swarm'));
  router.add('GET', '/swarm/unlockkey', unavailable(NOT_A_MANAGER));
  router.add('POST', '/swarm/unlock', unavailable('This node is not part of a swarm'));
  for (const [method, p] of [
    ['GET', '/swarm'],
    ['POST', '/swarm/update'],
    ['GET', '/nodes'],
    ['GET', '/nodes/:id'],
    ['DELETE', '/nodes/:id'],
    ['GET', '/services'],
    ['POST', '/services/create'],
    ['GET', '/services/:id'],
    ['DELETE', '/services/:id'],
    ['GET', '/tasks'],
    ['GET', '/tasks/:id'],
    ['GET', '/secrets'],
    ['POST', '/secrets/create'],
    ['GET', '/configs'],
    ['POST', '/configs/create'],
  ] as const) {
    router.add(method, p, unavailable(NOT_A_MANAGER));
  }
  router.add(
    'POST',
    '/swarm/init',
    unavailable('swarm mode is not available on the tscompose engine: use a Docker Engine for swarm (tscompose --engine swarm)'),
  );
  router.add(
    'POST',
    '/swarm/join',
    unavailable('swarm mode is not available on the tscompose engine: use a Docker Engine for swarm (tscompose --engine swarm)'),
  );
  // managed plugins: none are installed, and none can be
  router.add('GET', '/plugins', ({ res }) => sendJson(res, 200, []));
  router.add('GET', '/plugins/privileges', unavailable('plugins are not supported by the tscompose engine'));
  router.add('POST', '/plugins/pull', unavailable('plugins are not supported by the tscompose engine'));
}
