// Docker Engine API fidelity (issue #18): exec output framing and start failures, detach keys on attach and
// exec, create options (GroupAdd, MacAddress, LogConfig, Runtime), removal of a restarting container, save by
// ID and load errors, each as Docker Engine answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { startTestEngine, BUSYBOX, type TestEngine } from './harness.js';

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
});
after(async () => {
  await t?.cleanup();
});

const unique = (what: string) => `tsc-fid-${what}-${randomBytes(4).toString('hex')}`;

/** A raw hijacked request, as the docker CLI and docker-py send them (the JSON body before the upgrade). */
async function hijack(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ socket: net.Socket; head: string; rest: () => Promise<Buffer> }> {
  const socket = net.connect(t.socket);
  await new Promise<void>((ok, fail) => {
    socket.once('connect', ok);
    socket.once('error', fail);
  });
  const payload = body === undefined ? '' : JSON.stringify(body);
  socket.write(
    `${method} ${path} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
      (payload ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n` : '') +
      `\r\n${payload}`,
  );
  let buf = Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let ended = false;
  const endWaiters: (() => void)[] = [];
  const head = await new Promise<string>((ok) => {
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) return;
      socket.off('data', onData);
      chunks.push(buf.subarray(i + 4));
      socket.on('data', (x: Buffer) => chunks.push(x));
      ok(buf.subarray(0, i).toString());
    };
    socket.on('data', onData);
  });
  socket.once('end', () => {
    ended = true;
    for (const w of endWaiters) w();
  });
  const rest = async () => {
    if (!ended)
      await new Promise<void>((ok, fail) => {
        endWaiters.push(ok);
        setTimeout(() => fail(new Error(`stream not closed; got ${JSON.stringify(Buffer.concat(chunks).toString())}`)), 10_000);
      });
    return Buffer.concat(chunks);
  };
  return { socket, head, rest };
}

function post(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: t.socket, path, method: 'POST' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function running(name: string, extra: Record<string, unknown> = {}) {
  const c = await t.docker.createContainer({
    Image: BUSYBOX,
    name: unique(name),
    Cmd: ['sleep', '600'],
    HostConfig: { NetworkMode: 'none' },
    ...extra,
  });
  await c.start();
  return c;
}

test("exec output framing follows the start request's Tty; the process's terminal follows the create's", async () => {
  const c = await running('frame');
  const ex = await c.exec({ Cmd: ['sh', '-c', 'test -t 1 && echo tty || echo notty'], AttachStdout: true, AttachStderr: true, Tty: true });
  const h = await hijack('POST', `/exec/${ex.id}/start`, { Detach: false, Tty: false });
  assert.match(h.head, /multiplexed-stream/);
  const out = await h.rest();
  assert.equal(out[0], 1, 'a stdout frame');
  assert.equal(out.subarray(8).toString(), 'tty\r\n');
  // and the body of the upgrade request never reaches the process
  const cat = await c.exec({ Cmd: ['cat'], AttachStdin: true, AttachStdout: true });
  const h2 = await hijack('POST', `/exec/${cat.id}/start`, { Detach: false, Tty: false });
  h2.socket.end('input\n');
  assert.equal((await h2.rest()).subarray(8).toString(), 'input\n');
  await c.remove({ force: true });
});

test("exec of a binary that cannot start exits 126 with Docker's error on the stream", async () => {
  const c = await running('noexec');
  for (const cmd of ['no-such-binary', '/etc']) {
    const ex = await c.exec({ Cmd: [cmd], AttachStdout: true, AttachStderr: true });
    const h = await hijack('POST', `/exec/${ex.id}/start`, { Detach: false, Tty: false });
    const out = (await h.rest()).toString();
    assert.match(
      out,
      /OCI runtime exec failed: exec failed: unable to start container process: .*(executable file not found in \$PATH|permission denied): unknown/,
    );
    assert.equal((await ex.inspect()).ExitCode, 126);
  }
  const cli = await t.cli(['exec', (await c.inspect()).Id, 'no-such-binary']);
  assert.equal(cli.code, 126);
  assert.match(cli.stdout + cli.stderr, /executable file not found/);
  // a process that runs and exits 255 itself keeps its code
  const ex = await c.exec({ Cmd: ['sh', '-c', 'exit 255'], AttachStdout: true });
  await (await hijack('POST', `/exec/${ex.id}/start`, { Tty: false })).rest();
  assert.equal((await ex.inspect()).ExitCode, 255);
  await c.remove({ force: true });
});

test('detach keys close a TTY attach or exec stream and leave the container running', async () => {
  const c = await running('detach', { Cmd: ['cat'], Tty: true, OpenStdin: true });
  const a = await hijack('POST', `/containers/${c.id}/attach?stream=1&stdin=1&stdout=1`);
  a.socket.write('ab\x10');
  a.socket.write('c\x10\x11'); // ctrl-p then c is passed on; ctrl-p ctrl-q detaches
  await a.rest();
  const custom = await hijack('POST', `/containers/${c.id}/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-x,y`);
  custom.socket.write('\x18y');
  await custom.rest();
  assert.equal((await c.inspect()).State.Running, true);
  const bad = await post(`/containers/${c.id}/attach?stream=1&stdin=1&detachKeys=ctrl-`);
  assert.equal(bad.status, 400);
  assert.match(bad.body, /Invalid detach keys \(ctrl-\) provided/);

  const ex = await c.exec({ Cmd: ['cat'], AttachStdin: true, AttachStdout: true, Tty: true, detachKeys: 'ctrl-a,b' } as never); // docker-py's spelling
  const e = await hijack('POST', `/exec/${ex.id}/start`, { Tty: true });
  e.socket.write('\x01b');
  await e.rest();
  assert.equal((await ex.inspect()).Running, true, 'the exec process runs on');
  await assert.rejects(c.exec({ Cmd: ['true'], DetachKeys: 'ctrl-' }), /Invalid escape keys \(ctrl-\) provided/);
  await c.remove({ force: true });
});

test('create: Runtime and LogConfig defaults, unknown log drivers refused, logs of driver none refused', async () => {
  const c = await t.docker.createContainer({
    Image: BUSYBOX,
    name: unique('hc'),
    Cmd: ['echo', 'x'],
    HostConfig: { NetworkMode: 'none', LogConfig: { Type: '', Config: {} } },
  });
  const hc = (await c.inspect()).HostConfig;
  assert.equal(hc.Runtime, 'runc');
  assert.equal(hc.LogConfig?.Type, 'json-file');
  await assert.rejects(
    t.docker.createContainer({ Image: BUSYBOX, Cmd: ['true'], HostConfig: { LogConfig: { Type: 'asdf', Config: {} } } }),
    (e: { statusCode?: number; message: string }) =>
      e.statusCode === 400 && /error looking up logging plugin asdf: plugin "asdf" not found/.test(e.message),
  );
  await assert.rejects(
    t.docker.createContainer({ Image: BUSYBOX, Cmd: ['true'], HostConfig: { Runtime: 'kata' } }),
    /Unknown runtime specified kata/,
  );
  const none = await t.docker.createContainer({
    Image: BUSYBOX,
    name: unique('none'),
    Cmd: ['echo', 'x'],
    HostConfig: { NetworkMode: 'none', LogConfig: { Type: 'none', Config: {} } },
  });
  await none.start();
  await none.wait();
  await assert.rejects(
    none.logs({ stdout: true }),
    (e: { statusCode?: number; message: string }) =>
      e.statusCode === 501 && /configured logging driver does not support reading/.test(e.message),
  );
  await c.remove();
  await none.remove();
});

test("create: GroupAdd adds supplementary groups (names from the container's /etc/group), to exec too", async () => {
  const c = await running('groups', {
    Cmd: ['sh', '-c', 'id -G; sleep 600'],
    HostConfig: { NetworkMode: 'none', GroupAdd: ['extra', '4242'] },
  });
  await new Promise((r) => setTimeout(r, 300));
  const groups = (await c.logs({ stdout: true })).toString().replace(/^.{8}/s, '').trim().split(/\s+/);
  assert.deepEqual(groups.sort(), ['0', '2000', '4242']);
  const ex = await c.exec({ Cmd: ['id', '-G'], AttachStdout: true });
  const out = (await (await hijack('POST', `/exec/${ex.id}/start`, { Tty: false })).rest()).subarray(8).toString().trim();
  assert.deepEqual(out.split(/\s+/).sort(), ['0', '2000', '4242']);
  await c.remove({ force: true });
  const bad = await t.docker.createContainer({
    Image: BUSYBOX,
    Cmd: ['true'],
    HostConfig: { NetworkMode: 'none', GroupAdd: ['nosuchgroup'] },
  });
  await assert.rejects(bad.start(), /Unable to find group nosuchgroup/);
  await bad.remove();
});

test("create: Config.MacAddress is the primary endpoint's", async () => {
  const c = await t.docker.createContainer({
    Image: BUSYBOX,
    name: unique('mac'),
    Cmd: ['cat', '/sys/class/net/eth0/address'],
    MacAddress: '02:42:ac:11:00:99',
  } as never);
  await c.start();
  await c.wait();
  assert.match((await c.logs({ stdout: true })).toString(), /02:42:ac:11:00:99/);
  await c.remove();
});

test("a restarting container cannot be removed without force (409, Docker's message)", async () => {
  const c = await t.docker.createContainer({
    Image: BUSYBOX,
    name: unique('restarting'),
    Cmd: ['sh', '-c', 'exit 1'],
    HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } },
  });
  await c.start();
  const deadline = Date.now() + 10_000;
  while ((await c.inspect()).State.Status !== 'restarting') {
    assert.ok(Date.now() < deadline, 'never restarting');
    await new Promise((r) => setTimeout(r, 20));
  }
  await assert.rejects(
    c.remove(),
    (e: { statusCode?: number; message: string }) =>
      e.statusCode === 409 && /You cannot remove a (restarting|running) container/.test(e.message),
  );
  await c.remove({ force: true });
});

async function manifestOf(stream: NodeJS.ReadableStream): Promise<{ RepoTags: string[] | null }[]> {
  const extract = tar.extract();
  let manifest = '';
  extract.on('entry', (h, s, next) => {
    let text = '';
    s.on('data', (d) => {
      if (h.name === 'manifest.json') text += String(d);
    });
    s.on('end', () => {
      if (text) manifest = text;
      next();
    });
  });
  await new Promise<void>((ok, fail) => {
    extract.on('finish', ok);
    extract.on('error', fail);
    stream.pipe(extract);
  });
  return JSON.parse(manifest);
}

test('image save: by ID the archive has no RepoTags, by name:tag that tag', async () => {
  const id = (await t.docker.getImage(BUSYBOX).inspect()).Id;
  assert.equal((await manifestOf(await t.docker.getImage(id).get()))[0]!.RepoTags, null);
  assert.equal((await manifestOf(await t.docker.getImage(id.slice(7, 19)).get()))[0]!.RepoTags, null);
  assert.deepEqual((await manifestOf(await t.docker.getImage(BUSYBOX).get()))[0]!.RepoTags, [BUSYBOX]);
});

test('image load of garbage answers 200 with the error in the JSON stream', async () => {
  const stream = (await t.docker.loadImage(Readable.from([Buffer.from('not a tar archive'.repeat(64))]))) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  const msg = JSON.parse(text.trim().split('\n').pop()!) as { error?: string; errorDetail?: { message?: string } };
  assert.ok(msg.error, text);
  assert.equal(msg.errorDetail?.message, msg.error);
  const cli = await t.cli(['load'], 'not a tar archive'.repeat(64));
  assert.notEqual(cli.code, 0);
});

test("legacy links on the default bridge: Docker's variables and an /etc/hosts line", async () => {
  const childName = unique('child');
  const child = await t.docker.createContainer({
    Image: BUSYBOX,
    name: childName,
    Cmd: ['sleep', '600'],
    Env: ['SECRET=v'],
    ExposedPorts: { '6379/tcp': {}, '80/tcp': {} },
  });
  await child.start();
  const ip = (await child.inspect()).NetworkSettings.Networks.bridge!.IPAddress;
  const parentName = unique('parent');
  const parent = await t.docker.createContainer({
    Image: BUSYBOX,
    name: parentName,
    Cmd: ['sh', '-c', 'env; cat /etc/hosts'],
    HostConfig: { Links: [`${childName}:my-db`] },
  });
  assert.deepEqual((await parent.inspect()).HostConfig.Links, [`/${childName}:/${parentName}/my-db`]);
  await parent.start();
  await parent.wait();
  const out = (await parent.logs({ stdout: true })).toString();
  for (const line of [
    `MY_DB_PORT=tcp://${ip}:80`,
    `MY_DB_PORT_80_TCP=tcp://${ip}:80`,
    `MY_DB_PORT_80_TCP_ADDR=${ip}`,
    `MY_DB_PORT_80_TCP_PORT=80`,
    `MY_DB_PORT_80_TCP_PROTO=tcp`,
    `MY_DB_PORT_6379_TCP=tcp://${ip}:6379`,
    `MY_DB_NAME=/${parentName}/my-db`,
    'MY_DB_ENV_SECRET=v',
    `${ip}\tmy-db ${(await child.inspect()).Config.Hostname} ${childName}`,
  ])
    assert.ok(out.includes(line), `${line} in\n${out}`);
  assert.doesNotMatch(out, /MY_DB_ENV_PATH=/);
  await assert.rejects(
    t.docker.createContainer({ Image: BUSYBOX, Cmd: ['true'], HostConfig: { Links: ['no-such-container:x'] } }),
    /Could not get container for no-such-container/,
  );
  await child.stop({ t: 0 });
  await assert.rejects(parent.start(), /Cannot link to a non running container/);
  await parent.remove();
  await child.remove();
});

test('networks: any name Docker takes (spaces included) works; IPAM options and auxiliary addresses in inspect; IPv6 needs a subnet', async () => {
  const name = `${unique('net')} with spaces`;
  const net = await t.docker.createNetwork({
    Name: name,
    IPAM: {
      Driver: 'default',
      Options: { foo: 'bar' },
      Config: [{ Subnet: '172.31.77.0/24', AuxiliaryAddresses: { router: '172.31.77.5' } }],
    },
  });
  const info = await t.docker.getNetwork(encodeURIComponent(name)).inspect(); // dockerode does not escape paths
  assert.equal(info.Id, net.id);
  assert.equal(info.Name, name);
  assert.equal(info.EnableIPv6, false);
  assert.deepEqual(info.IPAM?.Options, { foo: 'bar' });
  assert.deepEqual(info.IPAM?.Config?.[0]?.AuxiliaryAddresses, { router: '172.31.77.5' });
  const c = await t.docker.createContainer({
    Image: BUSYBOX,
    name: unique('netuser'),
    Cmd: ['sleep', '600'],
    HostConfig: { NetworkMode: name },
  });
  await c.start();
  assert.ok((await c.inspect()).NetworkSettings.Networks[name]?.IPAddress.startsWith('172.31.77.'));
  await c.remove({ force: true });
  await t.docker.getNetwork(encodeURIComponent(name)).remove();
  await assert.rejects(t.docker.createNetwork({ Name: 'a/b' }), /invalid network name/);
  // no IPv6 address pool, as with Docker Engine 20.10: EnableIPv6 needs an IPv6 subnet
  await assert.rejects(
    t.docker.createNetwork({ Name: unique('v6'), EnableIPv6: true }),
    /could not find an available, non-overlapping IPv6 address pool/,
  );
  const v6 = await t.docker.createNetwork({ Name: unique('v6'), EnableIPv6: true, IPAM: { Config: [{ Subnet: 'fd00:dead::/64' }] } });
  const v6info = await v6.inspect();
  assert.equal(v6info.EnableIPv6, true);
  assert.deepEqual(v6info.IPAM?.Config?.[1], { Subnet: 'fd00:dead::/64' });
  await v6.remove();
});

test("the docker CLI under a terminal detaches with ctrl-p ctrl-q, or its config file's detachKeys, as from Docker Engine", async () => {
  const c = await running('clidetach', { Cmd: ['sh'], Tty: true, OpenStdin: true });
  const config = mkdtempSync(path.join(os.tmpdir(), 'tsc-fid-dockercfg-'));
  writeFileSync(path.join(config, 'config.json'), JSON.stringify({ detachKeys: 'ctrl-x,y' }));
  const underPty = (args: string, keys: string, env: NodeJS.ProcessEnv = {}) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('script', ['-qfec', `docker -H unix://${t.socket} ${args}`, '/dev/null'], {
        env: { ...process.env, ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        out += d;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      setTimeout(() => child.stdin.write('echo hi\r'), 800);
      setTimeout(() => child.stdin.write(keys), 1600);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });
  try {
    const a = await underPty(`attach ${c.id}`, '\x10\x11');
    assert.match(a.out, /read escape sequence/);
    const b = await underPty(`attach ${c.id}`, '\x18y', { DOCKER_CONFIG: config });
    assert.match(b.out, /read escape sequence/);
    const e = await underPty(`exec -it ${c.id} sh`, '\x10\x11');
    assert.match(e.out, /read escape sequence/);
    assert.equal((await c.inspect()).State.Running, true);
  } finally {
    rmSync(config, { recursive: true, force: true });
    await c.remove({ force: true });
  }
});
