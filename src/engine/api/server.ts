// The engine's HTTP server on a unix socket: routes requests (and connection upgrades, for attach and
// exec) through the Router; errors become Docker-style {"message": …} bodies; unknown endpoints answer 404.
import http, { type IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { sendError, statusOf, upgradeBodies } from './http.js';

import type { Router } from './router.js';

export const API_VERSION = '1.43';
export const MIN_API_VERSION = '1.24';

async function dispatch(
  router: Router,
  req: IncomingMessage,
  res: ServerResponse,
  upgrade?: { socket: Duplex; head: Buffer },
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://engine');
  res.setHeader('Api-Version', API_VERSION);
  res.setHeader('Server', 'tscompose-engine');
  res.setHeader('Docker-Experimental', 'false');
  res.setHeader('Ostype', 'linux');
  const match = router.match(req.method ?? 'GET', url.pathname);
  if (!match) {
    req.resume();
    sendError(res, 404, `page not found: ${req.method} ${url.pathname} is not supported by the tscompose engine`);
    return;
  }
  try {
    await match.handler({ req, res, params: match.params, query: url.searchParams, path: match.path, upgrade });
  } catch (err) {
    sendError(res, statusOf(err), (err as Error).message);
  }
}

export function createApiServer(router: Router): http.Server {
  const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    void dispatch(router, req, res);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // node's http server stops listening for errors on a socket it hands over for an upgrade: a client that
    // vanishes (ECONNRESET, EPIPE) would otherwise raise an unhandled 'error' and end the engine
    socket.on('error', () => socket.destroy());
    const res = new ServerResponse(req);
    res.assignSocket(socket);
    res.on('finish', () => {
      if (!res.getHeader('x-hijacked')) socket.end();
    });
    void takeUpgradeBody(req, socket, head).then((rest) => dispatch(router, req, res, { socket, head: rest }));
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  liveSockets.set(server, sockets);
  return server;
}

/** node hands over an upgrade request's body (exec start's {"Tty":…}) with the socket: read its Content-Length
 *  bytes off for readBody, so they do not reach the process's stdin. Resolves with the bytes after it. */
function takeUpgradeBody(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<Buffer> {
  const len = Number.parseInt(String(req.headers['content-length'] ?? '0'), 10) || 0;
  if (len <= 0) return Promise.resolve(head);
  return new Promise((resolve) => {
    let buf = head;
    const done = () => {
      socket.off('data', onData);
      socket.off('end', done);
      socket.off('close', done);
      socket.pause();
      upgradeBodies.set(req, buf.subarray(0, len));
      resolve(buf.subarray(len));
    };
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= len) done();
    };
    if (buf.length >= len) {
      done();
      return;
    }
    socket.on('data', onData);
    socket.once('end', done);
    socket.once('close', done);
  });
}

const liveSockets = new WeakMap<http.Server, Set<Socket>>();

/** Stops listening and drops every connection, hijacked ones (attach, exec, logs -f) included. */
export function shutdownServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const s of liveSockets.get(server) ?? []) s.destroy();
    server.closeAllConnections();
  });
}

/** Docker's raw stream: a 101 upgrade when the client asked for one, else a streamed 200 response. */
export function openRawStream(
  ctx: { req: IncomingMessage; res: ServerResponse; upgrade?: { socket: Duplex; head: Buffer } },
  contentType = 'application/vnd.docker.raw-stream',
): { out: Duplex | ServerResponse; input?: Duplex; end: () => void } {
  if (ctx.upgrade) {
    const { socket, head } = ctx.upgrade;
    ctx.res.setHeader('x-hijacked', '1');
    ctx.res.detachSocket(socket as Socket);
    socket.write(
      `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nApi-Version: ${API_VERSION}\r\n\r\n`,
    );
    if (head.length) socket.unshift(head);
    return { out: socket, input: socket, end: () => socket.end() };
  }
  ctx.res.writeHead(200, { 'Content-Type': contentType });
  ctx.res.flushHeaders();
  return { out: ctx.res, end: () => ctx.res.end() };
}
