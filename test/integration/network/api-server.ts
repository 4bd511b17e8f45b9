// A minimal Docker-API server over a unix socket for the routes under test, so the real docker CLI can
// drive them without the whole daemon: /_ping and /version plus whatever routes are registered.
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { sendError, sendJson, statusOf } from '../../../src/engine/api/http.js';
import { Router } from '../../../src/engine/api/router.js';

const exec = promisify(execFile);

export interface ApiServer {
  socket: string;
  docker(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export async function startApiServer(dir: string, register: (router: Router) => void): Promise<ApiServer> {
  const router = new Router();
  router.add('GET', '/_ping', ({ res }) => {
    res.writeHead(200, { 'API-Version': '1.41', 'Content-Type': 'text/plain' });
    res.end('OK');
  });
  router.add('HEAD', '/_ping', ({ res }) => {
    res.writeHead(200, { 'API-Version': '1.41' });
    res.end();
  });
  router.add('GET', '/version', ({ res }) =>
    sendJson(res, 200, { Version: '20.10.0', ApiVersion: '1.41', MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64' }),
  );
  register(router);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://engine');
    const match = router.match(req.method ?? 'GET', url.pathname);
    if (!match) return sendError(res, 404, `page not found: ${req.method} ${url.pathname}`);
    Promise.resolve(match.handler({ req, res, params: match.params, query: url.searchParams, path: match.path })).catch((err: unknown) => {
      sendError(res, statusOf(err), (err as Error).message);
    });
  });
  const socket = path.join(dir, 'api.sock');
  await new Promise<void>((r) => server.listen(socket, () => r()));
  return {
    socket,
    async docker(...args) {
      try {
        const { stdout, stderr } = await exec('docker', ['-H', `unix://${socket}`, ...args], {
          timeout: 20000,
          env: { ...process.env, DOCKER_CONFIG: dir },
        });
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
