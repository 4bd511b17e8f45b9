// Engine answers become error kinds once, in the dockerode-backed client: by HTTP status and Docker's
// {"message": …} body, or by the socket error when there is no answer. Driven through a real HTTP server on a
// unix socket that answers like Docker Engine does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import Docker from 'dockerode';
import { dockerEngineClient } from '../../../src/client/docker-engine-client.js';
import { EngineError, isEngineError, kindOfStatus, toEngineError } from '../../../src/client/errors.js';

test('HTTP statuses map to kinds as the Docker Engine API uses them', () => {
  assert.equal(kindOfStatus(304), 'not-modified');
  assert.equal(kindOfStatus(400), 'invalid');
  assert.equal(kindOfStatus(403), 'forbidden');
  assert.equal(kindOfStatus(404), 'not-found');
  assert.equal(kindOfStatus(409), 'conflict');
  assert.equal(kindOfStatus(500), 'internal');
  assert.equal(kindOfStatus(503), 'unavailable');
});

test("errors that are not the engine's pass through unchanged", () => {
  const bug = new TypeError('x is undefined');
  assert.equal(toEngineError(bug), bug);
  const refused = toEngineError(Object.assign(new Error('connect ECONNREFUSED /run/x.sock'), { code: 'ECONNREFUSED' }));
  assert.ok(isEngineError(refused, 'unavailable'));
  assert.equal((refused as EngineError).message, 'connect ECONNREFUSED /run/x.sock');
});

/** A fake Docker Engine on a unix socket: each route answers with a fixed status and body. */
async function withEngine(routes: Record<string, [number, unknown]>, fn: (socketPath: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-errkind-'));
  const socketPath = path.join(dir, 'engine.sock');
  const server = http
    .createServer((req, res) => {
      req.resume();
      const route = Object.entries(routes).find(([prefix]) => `${req.method} ${req.url}`.startsWith(prefix));
      const [status, body] = route?.[1] ?? [404, { message: `page not found: ${req.url}` }];
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    })
    .listen(socketPath);
  await once(server, 'listening');
  try {
    await fn(socketPath);
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("the dockerode client rejects with a kind and the engine's own wording", async () => {
  await withEngine(
    {
      'GET /containers/gone/json': [404, { message: 'No such container: gone' }],
      'DELETE /containers/busy': [409, { message: 'removal of container busy is already in progress' }],
      'POST /containers/up/start': [304, undefined],
      'POST /containers/create': [400, { message: 'invalid mount config for type "bind": bind source path does not exist' }],
      'POST /networks/create': [500, { message: 'could not find an available, non-overlapping IPv4 address pool' }],
    },
    async (socketPath) => {
      const engine = dockerEngineClient(new Docker({ socketPath }));
      const kindOf = async (p: Promise<unknown>) =>
        p.then(
          () => 'resolved',
          (err: unknown) => (isEngineError(err) ? `${err.kind}: ${err.message}` : `other: ${String(err)}`),
        );
      assert.equal(await kindOf(engine.inspectContainer('gone')), 'not-found: No such container: gone');
      assert.equal(
        await kindOf(engine.removeContainer('busy', { force: true })),
        'conflict: removal of container busy is already in progress',
      );
      assert.match(await kindOf(engine.startContainer('up')), /^not-modified: /);
      assert.equal(
        await kindOf(engine.createContainer({ Image: 'busybox' })),
        'invalid: invalid mount config for type "bind": bind source path does not exist',
      );
      assert.equal(
        await kindOf(engine.createNetwork({ Name: 'n' })),
        'internal: could not find an available, non-overlapping IPv4 address pool',
      );
      // a route the engine does not have (Docker Engine and build sessions) is "not found" too
      assert.match(await kindOf(engine.openBuildSession({ secrets: {}, ssh: {} })), /^not-found: page not found/);
    },
  );
});

test('an engine that is not there is "unavailable"', async () => {
  const engine = dockerEngineClient(new Docker({ socketPath: path.join(os.tmpdir(), `tsc-nothing-${process.pid}.sock`) }));
  await assert.rejects(engine.ping(), (err: unknown) => isEngineError(err, 'unavailable'));
  await assert.rejects(engine.listContainers({ all: true }), (err: unknown) => isEngineError(err, 'unavailable'));
});
