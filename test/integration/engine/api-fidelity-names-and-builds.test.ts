// Docker Engine API fidelity (issue #18), as docker-py's own suite meets it: two networks may share a name
// unless the client asks CheckDuplicate (and a reference by that name is then ambiguous), and a Dockerfile that
// does not parse is refused with 400 before any step runs, each as Docker Engine 20.10 answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import tar from 'tar-stream';
import { startTestEngine, BUSYBOX, type TestEngine } from './harness.js';

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
});
after(async () => {
  await t?.cleanup();
});

const unique = (what: string) => `tsc-names-${what}-${randomBytes(4).toString('hex')}`;

/** One request on the engine's socket: status and body text. */
function request(
  method: string,
  path: string,
  body?: Buffer | string,
  contentType = 'application/json',
): Promise<{ status: number; text: string }> {
  return new Promise((ok, fail) => {
    const req = http.request(
      { socketPath: t.socket, method, path, headers: body === undefined ? {} : { 'Content-Type': contentType } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => ok({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

async function contextWith(dockerfile: string): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, dockerfile);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const createNetwork = (body: Record<string, unknown>) => request('POST', '/networks/create', JSON.stringify(body));

test('two networks may share a name unless CheckDuplicate; the name is then ambiguous, the ids are not', async () => {
  const name = unique('dup');
  const first = await createNetwork({ Name: name });
  assert.equal(first.status, 201, first.text);
  const firstId = (JSON.parse(first.text) as { Id: string }).Id;

  const refused = await createNetwork({ Name: name, CheckDuplicate: true });
  assert.equal(refused.status, 409, refused.text);
  assert.equal(JSON.parse(refused.text).message, `network with name ${name} already exists`);

  const second = await createNetwork({ Name: name, CheckDuplicate: false });
  assert.equal(second.status, 201, second.text);
  const { Id: secondId, Warning } = JSON.parse(second.text) as { Id: string; Warning: string };
  assert.notEqual(secondId, firstId);
  assert.equal(Warning, `Network with name ${name} (id : ${firstId}) already exists`);

  const listed = JSON.parse((await request('GET', '/networks')).text) as { Id: string; Name: string }[];
  assert.deepEqual(
    listed
      .filter((n) => n.Name === name)
      .map((n) => n.Id)
      .sort(),
    [firstId, secondId].sort(),
  );

  const byName = await request('GET', `/networks/${name}`);
  assert.equal(byName.status, 400, byName.text);
  assert.match(JSON.parse(byName.text).message, /ambiguous \(2 matches found based on name\)/);
  assert.equal((await request('DELETE', `/networks/${name}`)).status, 400);

  // by id each one is found, and removing one leaves the name to the other
  assert.equal(JSON.parse((await request('GET', `/networks/${secondId}`)).text).Id, secondId);
  assert.equal((await request('DELETE', `/networks/${firstId}`)).status, 204);
  assert.equal(JSON.parse((await request('GET', `/networks/${name}`)).text).Id, secondId);
  assert.equal((await request('DELETE', `/networks/${name}`)).status, 204);
});

test('a predefined network name cannot be taken, whatever CheckDuplicate says', async () => {
  for (const name of ['bridge', 'host', 'none']) {
    const res = await createNetwork({ Name: name });
    assert.equal(res.status, 403, res.text);
    assert.equal(JSON.parse(res.text).message, `operation is not permitted on predefined ${name} network `);
  }
});

test('a Dockerfile with an unknown instruction is refused with 400 before any step runs', async () => {
  const tag = unique('bad');
  // the RUN before the unknown instruction must not run: Docker parses the whole Dockerfile first
  const res = await request(
    'POST',
    `/build?t=${tag}`,
    await contextWith(`FROM ${BUSYBOX}\nRUN echo ran-before-parse > /ran\nNOTADOCKERFILECOMMAND x\n`),
    'application/x-tar',
  );
  assert.equal(res.status, 400, res.text);
  assert.deepEqual(JSON.parse(res.text), { message: 'dockerfile parse error line 3: unknown instruction: NOTADOCKERFILECOMMAND' });
  assert.equal((await request('GET', `/images/${tag}/json`)).status, 404);
});

test('a build failing after its first step keeps the error in the 200 stream', async () => {
  const res = await request('POST', '/build', await contextWith(`FROM ${BUSYBOX}\nRUN exit 3\n`), 'application/x-tar');
  assert.equal(res.status, 200, res.text);
  const last = JSON.parse(res.text.trim().split('\n').pop()!) as { error?: string; errorDetail?: { code?: number } };
  assert.equal(last.errorDetail?.code, 3, res.text);
});

test('a context without its Dockerfile is an error response, not a stream', async () => {
  const pack = tar.pack();
  pack.entry({ name: 'x' }, 'hi');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  const res = await request('POST', '/build', Buffer.concat(chunks), 'application/x-tar');
  assert.ok(res.status >= 400, `${res.status} ${res.text}`);
  assert.equal(JSON.parse(res.text).message, 'Cannot locate specified Dockerfile: Dockerfile');
});

/** Runs `script` in a busybox container with `hostConfig`; its exit code and output. */
async function runScript(script: string, hostConfig: Record<string, unknown>): Promise<{ code: number; output: string }> {
  const c = await t.docker.createContainer({ Image: BUSYBOX, Cmd: ['sh', '-c', script], HostConfig: hostConfig });
  try {
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    const logs = (await c.logs({ stdout: true, stderr: true })) as Buffer;
    return { code: StatusCode, output: logs.toString('latin1') };
  } finally {
    await c.remove({ force: true });
  }
}

test('DeviceCgroupRules let the container open the devices they name, and a malformed rule fails the start', async () => {
  // 7:128 (vcsa): whether the host has it or not, opening it is refused by the device cgroup unless allowed
  const script = 'mknod /tmp/dev c 7 128 && cat /tmp/dev >/dev/null; true';
  const denied = await runScript(script, {});
  assert.match(denied.output, /Operation not permitted/, denied.output);
  const allowed = await runScript(script, { DeviceCgroupRules: ['c 7:128 rwm'] });
  assert.doesNotMatch(allowed.output, /Operation not permitted/, allowed.output);

  const bad = await t.docker.createContainer({ Image: BUSYBOX, Cmd: ['true'], HostConfig: { DeviceCgroupRules: ['x 1:2 rwm'] } });
  try {
    assert.equal((await bad.inspect()).HostConfig.DeviceCgroupRules?.[0], 'x 1:2 rwm');
    await assert.rejects(bad.start(), /invalid device cgroup rule format: 'x 1:2 rwm'/);
  } finally {
    await bad.remove({ force: true });
  }
});

test('steps that leave the same layer twice build, and the image runs (its layer directory mounted once)', async () => {
  const tag = unique('twice');
  // RUN steps that change nothing but what every RUN touches leave identical layers (one diffID, one directory)
  // when they run within one second: of six, some do
  const res = await request(
    'POST',
    `/build?t=${tag}`,
    // the second stage reads the first one's layers through a read-only overlay (COPY --from)
    await contextWith(
      `FROM ${BUSYBOX} AS twice\n${'RUN true\n'.repeat(6)}RUN echo built\nFROM ${BUSYBOX}\nCOPY --from=twice /bin/busybox /copied/busybox\n`,
    ),
    'application/x-tar',
  );
  assert.equal(res.status, 200, res.text);
  assert.doesNotMatch(res.text, /errorDetail/, res.text);
  const run = await t.docker.createContainer({ Image: tag, Cmd: ['/copied/busybox', 'true'] });
  try {
    await run.start();
    assert.equal(((await run.wait()) as { StatusCode: number }).StatusCode, 0);
  } finally {
    await run.remove({ force: true });
  }
  await request('DELETE', `/images/${tag}?force=1`);
});
