// The node:http EngineClient against a real HTTP server on a unix socket: the requests it sends (paths,
// query strings as dockerode sends them, JSON bodies), the error kinds it reads from statuses and Docker's
// {"message": …} bodies, and the dockerode-based client it loads only for streaming calls.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { HttpEngineClient } from '../../../src/client/http-engine-client.js';
import { encodeQuery } from '../../../src/client/engine-http.js';
import { EngineError, isEngineError } from '../../../src/client/errors.js';
import type { EngineClient } from '../../../src/client/engine-client.js';

interface Seen {
  method: string;
  url: string;
  contentType?: string;
  body: string;
}

type Answer = { status: number; body?: unknown; text?: string };

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-http-client-'));
const socketPath = path.join(dir, 'engine.sock');
const seen: Seen[] = [];
/** what the server answers to the next requests, by "METHOD path" (without the query); 200 {} otherwise */
const answers = new Map<string, Answer>();

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    seen.push({ method: req.method!, url: req.url!, contentType: req.headers['content-type'], body: Buffer.concat(chunks).toString() });
    const answer = answers.get(`${req.method} ${req.url!.split('?')[0]}`) ?? { status: 200, body: {} };
    if (answer.text !== undefined) {
      res.writeHead(answer.status, { 'Content-Type': 'text/plain' }).end(answer.text);
    } else if (answer.body === undefined) {
      res.writeHead(answer.status).end();
    } else {
      res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer.body));
    }
  });
});
server.listen(socketPath);
await once(server, 'listening');

after(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const noStreaming = async (): Promise<EngineClient> => {
  throw new Error('a plain call loaded the streaming client');
};
const client = (loadStreaming = noStreaming) => new HttpEngineClient({ socketPath }, loadStreaming);

/** The requests `fn` makes. */
async function requestsOf(fn: () => Promise<unknown>): Promise<Seen[]> {
  seen.length = 0;
  await fn();
  return [...seen];
}

test('query values are encoded as dockerode encodes them: objects as JSON, arrays repeated, booleans as words', () => {
  assert.equal(encodeQuery({}), '');
  assert.equal(encodeQuery({ t: undefined }), '');
  assert.equal(encodeQuery({ force: true, v: false, t: 5 }), '?force=true&v=false&t=5');
  assert.equal(encodeQuery({ filters: { label: ['a=b c'] } }), `?filters=${encodeURIComponent('{"label":["a=b c"]}')}`);
  assert.equal(encodeQuery({ extrahosts: ['a:1', 'b:2'] }), '?extrahosts=a%3A1&extrahosts=b%3A2');
});

test('the JSON calls send the URLs dockerode sends for them', async () => {
  const docker = new Docker({ socketPath });
  const engine = client();
  const filters = { label: ['com.docker.compose.project=demo', 'com.docker.compose.oneoff=False'] };
  const pairs: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
    ['ps -a', () => engine.listContainers({ all: true, filters }), () => docker.listContainers({ all: true, filters })],
    ['inspect', () => engine.inspectContainer('abc'), () => docker.getContainer('abc').inspect()],
    ['start', () => engine.startContainer('abc'), () => docker.getContainer('abc').start()],
    ['stop -t', () => engine.stopContainer('abc', 3), () => docker.getContainer('abc').stop({ t: 3 })],
    ['stop', () => engine.stopContainer('abc'), () => docker.getContainer('abc').stop({})],
    ['restart', () => engine.restartContainer('abc', 0), () => docker.getContainer('abc').restart({ t: 0 })],
    ['kill', () => engine.killContainer('abc', 'SIGHUP'), () => docker.getContainer('abc').kill({ signal: 'SIGHUP' })],
    ['pause', () => engine.pauseContainer('abc'), () => docker.getContainer('abc').pause()],
    ['rm -f', () => engine.removeContainer('abc', { force: true }), () => docker.getContainer('abc').remove({ force: true, v: false })],
    ['wait', () => engine.waitContainer('abc'), () => docker.getContainer('abc').wait()],
    ['top', () => engine.topContainer('abc'), () => docker.getContainer('abc').top()],
    ['resize', () => engine.resizeContainer('abc', 24, 80), () => docker.getContainer('abc').resize({ h: 24, w: 80 })],
    ['networks', () => engine.listNetworks(filters), () => docker.listNetworks({ filters })],
    ['network rm', () => engine.removeNetwork('demo_default'), () => docker.getNetwork('demo_default').remove()],
    ['volumes', () => engine.listVolumes(filters), () => docker.listVolumes({ filters })],
    ['volume rm', () => engine.removeVolume('demo_data'), () => docker.getVolume('demo_data').remove()],
    ['image', () => engine.inspectImage('localhost:5000/team/app:1.0'), () => docker.getImage('localhost:5000/team/app:1.0').inspect()],
    ['rmi', () => engine.removeImage('busybox@sha256:0123'), () => docker.getImage('busybox@sha256:0123').remove()],
  ];
  for (const [what, ours, theirs] of pairs) {
    const [mine] = await requestsOf(ours);
    // only the request is compared: dockerode refuses statuses it does not expect (200 for a start)
    const [reference] = await requestsOf(() => theirs().catch(() => undefined));
    assert.equal(`${mine!.method} ${mine!.url}`, `${reference!.method} ${reference!.url}`, what);
  }
});

test('create calls send the name as a query parameter and the rest as a JSON body', async () => {
  const engine = client();
  answers.set('POST /containers/create', { status: 201, body: { Id: 'c1', Warnings: [] } });
  answers.set('POST /networks/create', { status: 201, body: { Id: 'n1' } });
  let created: { id: string } | undefined;
  const [create] = await requestsOf(async () => {
    created = await engine.createContainer({ name: 'demo-web-1', Image: 'busybox', Labels: { a: 'b' } });
  });
  assert.deepEqual(created, { id: 'c1' });
  assert.equal(create!.url, '/containers/create?name=demo-web-1');
  assert.equal(create!.contentType, 'application/json');
  assert.deepEqual(JSON.parse(create!.body), { Image: 'busybox', Labels: { a: 'b' } });

  const [network] = await requestsOf(async () => assert.deepEqual(await engine.createNetwork({ Name: 'demo_default' }), { id: 'n1' }));
  assert.deepEqual(JSON.parse(network!.body), { Name: 'demo_default' });

  const [connect] = await requestsOf(() => engine.connectNetwork('demo_default', 'c1', { Aliases: ['web'] }));
  assert.equal(`${connect!.method} ${connect!.url}`, 'POST /networks/demo_default/connect');
  assert.deepEqual(JSON.parse(connect!.body), { Container: 'c1', EndpointConfig: { Aliases: ['web'] } });

  const [start] = await requestsOf(() => engine.startContainer('c1'));
  assert.equal(start!.body, '', 'start sends no body');
  assert.equal(start!.contentType, undefined);
});

test('a name cannot bend the path: "?", "#" and "%" are escaped', async () => {
  const [req] = await requestsOf(() => client().inspectContainer('a?b#c%d'));
  assert.equal(req!.url, '/containers/a%3Fb%23c%25d/json');
});

test('answers are parsed as JSON; an empty volume list is an empty array', async () => {
  const engine = client();
  answers.set('GET /containers/abc/json', { status: 200, body: { Id: 'abc', State: { Running: true } } });
  answers.set('GET /volumes', { status: 200, body: { Volumes: null, Warnings: null } });
  assert.equal((await engine.inspectContainer('abc')).State.Running, true);
  assert.deepEqual(await engine.listVolumes({}), []);
  answers.set('GET /_ping', { status: 200, text: 'OK' });
  await engine.ping();
});

test('a refusal becomes an EngineError with the kind of its status and the engine wording', async () => {
  const engine = client();
  const cases: [Answer, string, string][] = [
    [{ status: 404, body: { message: 'No such container: gone' } }, 'not-found', 'No such container: gone'],
    [
      { status: 409, body: { message: 'Conflict. The container name "/x" is already in use' } },
      'conflict',
      'Conflict. The container name "/x" is already in use',
    ],
    [{ status: 400, body: { message: 'invalid port' } }, 'invalid', 'invalid port'],
    [{ status: 304 }, 'not-modified', 'the engine answered 304 Not Modified'],
    [{ status: 500, text: 'plain failure\n' }, 'internal', 'plain failure'],
    [{ status: 503, body: { message: 'shutting down' } }, 'unavailable', 'shutting down'],
  ];
  for (const [answer, kind, message] of cases) {
    answers.set('POST /containers/gone/start', answer);
    const err = await engine.startContainer('gone').then(
      () => assert.fail(`status ${answer.status} resolved`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof EngineError, `status ${answer.status}`);
    assert.equal(err.kind, kind);
    assert.equal(err.statusCode, answer.status);
    assert.equal(err.message, message);
  }
  answers.delete('POST /containers/gone/start');
});

test('an engine that is not there is "unavailable"', async () => {
  const engine = new HttpEngineClient({ socketPath: path.join(dir, 'absent.sock') }, noStreaming);
  await assert.rejects(engine.ping(), (e) => isEngineError(e, 'unavailable'));
});

test('streaming calls load the streaming client once, on the first such call, and demux through it', async () => {
  let loads = 0;
  const demuxed: string[] = [];
  const events = new PassThrough();
  const streaming = {
    events: async () => events,
    followContainerLogs: async () => events,
    demuxStream: () => demuxed.push('demux'),
  } as unknown as EngineClient;
  const engine = client(async () => {
    loads++;
    return streaming;
  });
  await engine.listContainers({ all: true });
  assert.throws(() => engine.demuxStream(events, process.stdout, process.stderr), /no engine stream/);
  assert.equal(loads, 0, 'plain calls do not load it');
  assert.equal(await engine.events({}), events);
  assert.equal(await engine.followContainerLogs('abc', { stdout: true, stderr: true }), events);
  assert.equal(loads, 1);
  engine.demuxStream(events, process.stdout, process.stderr);
  assert.deepEqual(demuxed, ['demux']);
});

test('a plain tcp:// endpoint is reached the same way', async () => {
  const tcp = http.createServer((req, res) => {
    res.writeHead(req.url === '/containers/json?all=true' ? 200 : 404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(req.url === '/containers/json?all=true' ? [{ Id: 'c1' }] : { message: `no route ${req.url}` }));
  });
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  try {
    const { port } = tcp.address() as { port: number };
    const engine = new HttpEngineClient({ host: '127.0.0.1', port }, noStreaming);
    assert.deepEqual(await engine.listContainers({ all: true }), [{ Id: 'c1' }]);
    await assert.rejects(engine.inspectContainer('x'), (e) => isEngineError(e, 'not-found') && e.message === 'no route /containers/x/json');
  } finally {
    tcp.close();
  }
});
