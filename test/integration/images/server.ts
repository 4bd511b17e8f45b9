// A tiny Docker-API server for the image routes alone, on a temp unix socket, with its own state root.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { sendError, sendJson, statusOf } from '../../../src/engine/api/http.js';
import { registerBuildRoutes } from '../../../src/engine/api/build-routes.js';
import { registerImageCreateRoute } from '../../../src/engine/api/image-create-route.js';
import { registerImageRoutes } from '../../../src/engine/api/image-routes.js';
import { Router } from '../../../src/engine/api/router.js';
import type { OneShotRunner } from '../../../src/engine/contracts.js';
import { EventBus } from '../../../src/engine/events.js';
import { enginePaths, type EnginePaths } from '../../../src/engine/paths.js';
import { createImageService, type BundledImageService } from '../../../src/engine/images/index.js';
import { silentLogger } from '../../../src/engine/log.js';

export interface ImageTestServer {
  socket: string;
  root: string;
  docker: Docker;
  service: BundledImageService;
  close(): Promise<void>;
}

const noRunner: OneShotRunner = {
  async runOneShot() {
    throw new Error('no runner in this test');
  },
};

export async function startImageServer(makeRunner: (paths: EnginePaths) => OneShotRunner = () => noRunner): Promise<ImageTestServer> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-img-'));
  const socket = path.join(root, 'engine.sock');
  const paths = enginePaths(path.join(root, 'state'));
  const service = createImageService({ paths, events: new EventBus(), log: silentLogger }, makeRunner(paths));
  const router = new Router();
  router.add('GET', '/_ping', ({ res }) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Api-Version': '1.41' });
    res.end('OK');
  });
  router.add('HEAD', '/_ping', ({ res }) => {
    res.writeHead(200, { 'Api-Version': '1.41' });
    res.end();
  });
  router.add('GET', '/version', ({ res }) =>
    sendJson(res, 200, { Version: '20.10.24', ApiVersion: '1.41', MinAPIVersion: '1.12', Os: 'linux', Arch: 'amd64' }),
  );
  registerImageRoutes(router, service);
  registerImageCreateRoute(router, service);
  registerBuildRoutes(router, service);
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://engine');
    const m = router.match(req.method ?? 'GET', url.pathname);
    if (!m) {
      sendError(res, 404, `page not found: ${req.method} ${url.pathname}`);
      return;
    }
    try {
      await m.handler({ req, res, params: m.params, query: url.searchParams, path: m.path });
    } catch (err) {
      sendError(res, statusOf(err), (err as Error).message);
    }
  });
  server.listen(socket);
  await once(server, 'listening');
  return {
    socket,
    root,
    service,
    docker: new Docker({ socketPath: socket }),
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Runs the docker CLI against the test server (asynchronously: the server lives in this process). */
export async function dockerCli(
  socket: string,
  args: string[],
  input?: Buffer,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn('docker', ['-H', `unix://${socket}`, ...args], {
    env: { ...process.env, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: path.join(os.tmpdir(), 'tsc-img-no-docker-config') },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdin.end(input);
  const [status] = await once(child, 'close');
  return { status: status as number | null, stdout, stderr };
}
