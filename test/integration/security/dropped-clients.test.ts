// A client that vanishes in the middle of a stream (a reset socket, a half-sent body) must cost the engine
// nothing: the engine here runs as its own process (`tscompose engine`), clients reset their connections on
// every streaming endpoint, many times and in parallel, and the engine must still be up and answering.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bundledTarget, type EngineTarget } from '../../e2e/lifecycle/engines.js';
import { buildBusyboxImage } from '../../helpers/busybox-image.js';

const IMAGE = 'tsc-test/dropped:latest';
let engine: EngineTarget;
let socket: string;
let container: string;

before(async () => {
  process.env.TSCOMPOSE_TEST_BUNDLED = '1';
  engine = (await bundledTarget())!;
  socket = engine.env.TSCOMPOSE_ENGINE_SOCKET!;
  buildBusyboxImage(`unix://${socket}`, IMAGE);
  const c = await engine.docker.createContainer({
    Image: IMAGE,
    OpenStdin: true,
    Cmd: ['sh', '-c', 'while true; do echo tick; echo tock >&2; sleep 0.05; done'],
  });
  await c.start();
  container = c.id;
});

after(async () => {
  await engine?.docker
    .getContainer(container)
    .remove({ force: true })
    .catch(() => {});
  await engine?.stop();
});

/** Sends a raw HTTP request, then drops the connection after `afterMs` or once `bytes` came back, with
 *  unread data left in its receive buffer: on a unix socket that makes the engine's next read fail with
 *  ECONNRESET and its next write with EPIPE, as a killed client does. */
function rudeRequest(head: string, body: Buffer | string = '', opts: { afterMs?: number; bytes?: number } = {}): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    let got = 0;
    let dropping = false;
    const reset = () => {
      if (dropping) return;
      dropping = true;
      s.pause(); // stop reading: what the engine sends next stays unread
      setTimeout(() => {
        s.destroy();
        resolve();
      }, 30);
    };
    s.on('connect', () => {
      s.write(head + '\r\n');
      if (body.length) s.write(body);
      setTimeout(reset, opts.afterMs ?? 100);
    });
    s.on('data', (d) => {
      got += d.length;
      if (opts.bytes !== undefined && got >= opts.bytes) reset();
    });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
}

const req = (method: string, path: string, headers: Record<string, string | number> = {}) =>
  `${method} ${path} HTTP/1.1\r\nHost: engine\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}`;
const upgrade = { Connection: 'Upgrade', Upgrade: 'tcp', 'Content-Type': 'application/json' };
const tarHeaderOnly = () => {
  const b = Buffer.alloc(512);
  b.write('Dockerfile');
  b.write('0000644\0', 100);
  b.write('00000001000\0', 124);
  b.write('ustar\0', 257);
  return b;
};

async function createExec(): Promise<string> {
  const ex = await engine.docker.getContainer(container).exec({ Cmd: ['cat'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
  return ex.id;
}

test('clients that reset every streaming endpoint mid-stream, 8 rounds in parallel, do not take the engine down', async () => {
  const round = async () => {
    const execId = await createExec();
    const json = JSON.stringify({ Detach: false, Tty: false });
    await Promise.all([
      rudeRequest(req('POST', `/exec/${execId}/start`, { ...upgrade, 'Content-Length': json.length }), json + 'typed into cat\n', {
        afterMs: 150,
      }),
      rudeRequest(
        req('POST', `/containers/${container}/attach?stream=1&stdin=1&stdout=1&stderr=1`, { ...upgrade, 'Content-Length': 0 }),
        'x\n',
        { bytes: 10 },
      ),
      rudeRequest(req('GET', `/containers/${container}/logs?follow=1&stdout=1&stderr=1`), '', { bytes: 200 }),
      rudeRequest(req('GET', '/events'), '', { afterMs: 50 }),
      rudeRequest(req('GET', `/containers/${container}/stats`), '', { afterMs: 300 }),
      rudeRequest(req('POST', `/containers/${container}/wait`), '', { afterMs: 50 }),
      rudeRequest(req('GET', `/containers/${container}/archive?path=/bin`), '', { bytes: 4096 }),
      // dropped while a file's content is piped into the archive (docker-py's get_archive, read for its stat only)
      rudeRequest(req('GET', `/containers/${container}/archive?path=/bin/busybox`), '', { bytes: 1024 }),
      rudeRequest(
        req('PUT', `/containers/${container}/archive?path=/tmp`, { 'Content-Type': 'application/x-tar', 'Content-Length': 10240 }),
        tarHeaderOnly(),
        { afterMs: 50 },
      ),
      rudeRequest(
        req('POST', '/build?t=dropped-build', { 'Content-Type': 'application/x-tar', 'Content-Length': 1 << 20 }),
        tarHeaderOnly(),
        { afterMs: 50 },
      ),
      rudeRequest(
        req('POST', '/images/create?fromSrc=-&repo=dropped-import', {
          'Content-Type': 'application/x-tar',
          'Transfer-Encoding': 'chunked',
        }),
        '200\r\n' + 'a'.repeat(100),
        { afterMs: 50 },
      ),
      rudeRequest(req('POST', '/images/load', { 'Content-Type': 'application/x-tar', 'Content-Length': 1 << 20 }), tarHeaderOnly(), {
        afterMs: 50,
      }),
      rudeRequest(req('GET', `/images/${IMAGE}/get`), '', { bytes: 4096 }),
      rudeRequest(req('POST', '/containers/create', { 'Content-Type': 'application/json', 'Content-Length': 500 }), '{"Image":', {
        afterMs: 20,
      }),
    ]);
  };
  for (let i = 0; i < 4; i++) await Promise.all([round(), round()]);

  // the engine is still the same process, answering, and its container still runs and logs
  assert.equal(await engine.docker.ping().then(String), 'OK');
  const info = await engine.docker.getContainer(container).inspect();
  assert.equal(info.State.Running, true);
  const ex = await engine.docker.getContainer(container).exec({ Cmd: ['echo', 'alive'], AttachStdout: true });
  const out = await new Promise<string>((resolve, reject) => {
    ex.start({}, (err, stream) => {
      if (err || !stream) {
        reject(err);
        return;
      }
      let text = '';
      stream.on('data', (d: Buffer) => {
        text += d.toString();
      });
      stream.on('end', () => resolve(text));
    });
  });
  assert.match(out, /alive/);
  // the process's own output (a crash's trace) and the engine's log
  const root = engine.env.TSCOMPOSE_STATE_ROOT!;
  const log = readFileSync(path.join(root, 'test-engine.log'), 'utf8') + readFileSync(path.join(root, 'engine.log'), 'utf8');
  assert.doesNotMatch(log, /unhandled rejection|Error \[|ECONNRESET|EPIPE/, 'the engine logged no failure for clients that went away');
});

/** A GET whose client reads the response headers, then hangs up with the body unread (docker-py's get_archive
 *  when only the stat header is wanted). */
function headersThenHangUp(head: string): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    let got = '';
    s.on('connect', () => s.write(head + '\r\n'));
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) {
        s.pause();
        s.destroy();
      }
    });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
}

test("clients that hang up after the headers of a stopped container's archive (a volume path) do not take the engine down", async () => {
  const c = await engine.docker.createContainer({
    Image: IMAGE,
    Cmd: ['sh', '-c', 'echo -n data > /vol1/data.txt'],
    Volumes: { '/vol1': {} },
  });
  try {
    await c.start();
    await c.wait();
    for (let i = 0; i < 10; i++)
      await Promise.all([1, 2, 3].map(() => headersThenHangUp(req('GET', `/containers/${c.id}/archive?path=/vol1/data.txt`))));
    assert.equal(await engine.docker.ping().then(String), 'OK');
    // and the archive is still served whole
    const archive = (await c.getArchive({ path: '/vol1/data.txt' })) as NodeJS.ReadableStream;
    let bytes = 0;
    for await (const chunk of archive) bytes += (chunk as Buffer).length;
    assert.ok(bytes >= 1024, `${bytes} bytes`);
  } finally {
    await c.remove({ force: true, v: true }).catch(() => {});
  }
});
