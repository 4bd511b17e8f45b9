// Container lifecycle through the Docker API with dockerode: create semantics, logs, exec, archive,
// stop/kill exit codes, pause, cgroup limits that really limit, restart policy, list filters.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tar from 'tar-stream';
import type Docker from 'dockerode';
import { startTestEngine, BUSYBOX, type TestEngine } from './harness.js';
import { demux } from '../../helpers/docker-stream.js';

let t: TestEngine;
before(async () => {
  t = await startTestEngine();
});
after(async () => {
  await t?.cleanup();
});

async function run(opts: Docker.ContainerCreateOptions): Promise<{ c: Docker.Container; code: number; stdout: string; stderr: string }> {
  const c = await t.docker.createContainer({ Image: BUSYBOX, ...opts });
  await c.start();
  const { StatusCode } = await c.wait();
  const logs = demux((await c.logs({ stdout: true, stderr: true })) as unknown as Buffer);
  return { c, code: StatusCode, ...logs };
}

test('version negotiation endpoints answer like Docker', async () => {
  const v = await t.docker.version();
  assert.equal(v.ApiVersion, '1.43');
  assert.equal((v as unknown as { MinAPIVersion: string }).MinAPIVersion, '1.24');
  const info = await t.docker.info();
  assert.equal(info.OSType, 'linux');
  const res = await fetchUnix('/v1.99/nope');
  assert.equal(res.status, 404);
  assert.match(JSON.parse(res.body).message, /not supported/);
});

test('image config semantics: env merge, user by name, working dir created, entrypoint/cmd', async () => {
  const r = await run({
    Cmd: ['sh', '-c', 'echo "$A $B|$(id -u):$(id -g):$(id -G)|$(pwd)|$HOME"'],
    Env: ['A=1', 'B=2'],
    User: 'app',
    WorkingDir: '/srv/app',
  });
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '1 2|1000:1000:1000 2000|/srv/app|/home/app\n');
  const e = await run({ Entrypoint: ['echo', 'entry'], Cmd: ['arg'] });
  assert.equal(e.stdout, 'entry arg\n');
  const info = await e.c.inspect();
  assert.equal(info.Path, 'echo');
  assert.deepEqual(info.Args, ['entry', 'arg']);
  assert.ok(info.Config.Env.some((x: string) => x.startsWith('PATH=')));
});

test('exit codes, stderr separation, stop escalates to SIGKILL (137) for a process ignoring SIGTERM', async () => {
  const r = await run({ Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 42'] });
  assert.deepEqual([r.code, r.stdout, r.stderr], [42, 'out\n', 'err\n']);
  const c = await t.docker.createContainer({ Image: BUSYBOX, Cmd: ['sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 1; done'] });
  await c.start();
  await waitForLog(c, 'ready');
  await c.stop({ t: 1 });
  const st = (await c.inspect()).State;
  assert.equal(st.ExitCode, 137);
  assert.equal(st.Running, false);
  // with an init process the signal reaches sleep, which dies of it: 128 + 15
  // (signalled once it runs: a signal that reaches init before it installed its handlers is lost, as with Docker)
  const graceful = await t.docker.createContainer({
    Image: BUSYBOX,
    Cmd: ['sh', '-c', 'echo ready; exec sleep 100'],
    HostConfig: { Init: true },
  });
  await graceful.start();
  await waitForLog(graceful, 'ready');
  await graceful.kill({ signal: 'SIGTERM' });
  assert.equal((await graceful.wait()).StatusCode, 143);
});

test('exec with exit code, with and without TTY; a TTY container; top; pause and unpause', async () => {
  const c = await t.docker.createContainer({ Image: BUSYBOX, Cmd: ['sleep', '300'] });
  await c.start();
  const ex = await c.exec({ Cmd: ['sh', '-c', 'echo in-exec; echo e >&2; exit 7'], AttachStdout: true, AttachStderr: true });
  const stream = await ex.start({ hijack: true, stdin: false });
  const raw = await collect(stream);
  assert.deepEqual(demux(raw), { stdout: 'in-exec\n', stderr: 'e\n' });
  assert.equal((await ex.inspect()).ExitCode, 7);
  const ttyExec = await c.exec({ Cmd: ['sh', '-c', 'tty >/dev/null && echo is-a-tty'], AttachStdout: true, Tty: true });
  const ttyOut = (await collect(await ttyExec.start({ hijack: true, stdin: false, Tty: true }))).toString();
  assert.match(ttyOut, /is-a-tty/);
  const stats = (await c.stats({ stream: false })) as unknown as {
    memory_stats: { usage: number };
    pids_stats: { current: number };
    cpu_stats: { cpu_usage: { total_usage: number } };
  };
  assert.ok(
    stats.memory_stats.usage > 0 && stats.pids_stats.current >= 1 && stats.cpu_stats.cpu_usage.total_usage > 0,
    JSON.stringify(stats),
  );
  const top = await c.top();
  assert.ok(top.Processes.some((p: string[]) => p.join(' ').includes('sleep 300')));
  const ttyContainer = await t.docker.createContainer({ Image: BUSYBOX, Cmd: ['sh', '-c', 'tty; exit 5'], Tty: true });
  await ttyContainer.start();
  assert.equal((await ttyContainer.wait()).StatusCode, 5);
  assert.match(
    ((await ttyContainer.logs({ stdout: true })) as unknown as Buffer).toString(),
    /^\/dev\/pts\/\d+\r?\n/,
    'raw stream, no frames',
  );
  await c.pause();
  assert.equal((await c.inspect()).State.Status, 'paused');
  await c.unpause();
  assert.equal((await c.inspect()).State.Status, 'running');
  await c.remove({ force: true });
  await assert.rejects(c.inspect(), /404|no such container/i);
});

test('archive: put a tar into the container, read it back, stat with HEAD', async () => {
  const c = await t.docker.createContainer({ Image: BUSYBOX, Cmd: ['sh', '-c', 'cat /data/hello.txt'] });
  const pack = tar.pack();
  pack.entry({ name: 'data', type: 'directory', mode: 0o755 });
  pack.entry({ name: 'data/hello.txt', mode: 0o644 }, 'hello from tar\n');
  pack.finalize();
  await c.putArchive(pack as unknown as NodeJS.ReadableStream, { path: '/' });
  await c.start();
  assert.equal((await c.wait()).StatusCode, 0);
  assert.equal(demux((await c.logs({ stdout: true })) as unknown as Buffer).stdout, 'hello from tar\n');
  const archive = await c.getArchive({ path: '/data/hello.txt' });
  const names: string[] = [];
  const extract = tar.extract();
  let content = '';
  extract.on('entry', (h, s, next) => {
    names.push(h.name);
    s.on('data', (d) => {
      content += String(d);
    });
    s.on('end', next);
  });
  await new Promise<void>((resolve) => {
    extract.on('finish', () => resolve());
    (archive as NodeJS.ReadableStream).pipe(extract);
  });
  assert.deepEqual(names, ['hello.txt']);
  assert.equal(content, 'hello from tar\n');
  const head = await fetchUnix(`/containers/${c.id}/archive?path=/data`, 'HEAD');
  const stat = JSON.parse(Buffer.from(head.headers['x-docker-container-path-stat'] as string, 'base64').toString());
  assert.equal(stat.name, 'data');
  assert.ok(stat.mode >= 2 ** 31, 'a directory in Go FileMode bits');
});

test('memory limit kills an allocator (OOM, 137) and the pids limit refuses a fork bomb', async () => {
  // tail buffers its whole input in memory: /dev/zero has no newline, so it grows until the limit hits
  const oom = await run({ Cmd: ['sh', '-c', 'tail /dev/zero'], HostConfig: { Memory: 16 * 1024 * 1024, MemorySwap: 16 * 1024 * 1024 } });
  assert.equal(oom.code, 137);
  assert.equal((await oom.c.inspect()).State.OOMKilled, true);
  const bomb = await run({
    Cmd: ['sh', '-c', 'for i in $(seq 1 40); do sleep 30 & done; echo forked; kill $(jobs -p) 2>/dev/null; exit 0'],
    HostConfig: { PidsLimit: 10 },
  });
  assert.match(bomb.stderr, /can't fork|Resource temporarily unavailable/, 'forks beyond the pids limit fail');
});

test('list filters, rename, restart policy on-failure with a maximum', async () => {
  const labelled = await t.docker.createContainer({ Image: BUSYBOX, Cmd: ['true'], name: 'tsc-eng-listme', Labels: { 'tsc.test': 'yes' } });
  const byLabel = await t.docker.listContainers({ all: true, filters: { label: ['tsc.test=yes'] } });
  assert.deepEqual(
    byLabel.map((c) => c.Id),
    [labelled.id],
  );
  assert.equal(byLabel[0]!.State, 'created');
  assert.equal((await t.docker.listContainers({ all: true, filters: { name: ['tsc-eng-listme'] } })).length, 1);
  assert.equal((await t.docker.listContainers({ filters: { label: ['tsc.test=yes'] } })).length, 0, 'not running: hidden without all');
  await labelled.rename({ name: 'tsc-eng-renamed' });
  assert.equal((await labelled.inspect()).Name, '/tsc-eng-renamed');
  const flaky = await t.docker.createContainer({
    Image: BUSYBOX,
    Cmd: ['sh', '-c', 'echo run; exit 1'],
    HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } },
  });
  await flaky.start();
  const deadline = Date.now() + 30000;
  let info = await flaky.inspect();
  while (Date.now() < deadline && (info.RestartCount < 3 || info.State.Status !== 'exited')) {
    await new Promise((r) => setTimeout(r, 100));
    info = await flaky.inspect();
  }
  assert.equal(info.RestartCount, 3, 'on-failure:3 restarts exactly three times');
  assert.equal(info.State.Status, 'exited');
  const runs = demux((await flaky.logs({ stdout: true })) as unknown as Buffer).stdout;
  assert.equal(runs, 'run\nrun\nrun\nrun\n', 'the first run and three restarts');
});

async function waitForLog(c: Docker.Container, text: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (demux((await c.logs({ stdout: true, stderr: true })) as unknown as Buffer).stdout.includes(text)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no "${text}" in the logs`);
}

function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('close', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

async function fetchUnix(p: string, method = 'GET'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    http
      .request({ socketPath: t.socket, path: p, method }, (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      })
      .on('error', reject)
      .end();
  });
}

test('healthcheck: starting, healthy once the probe passes, unhealthy after the retries; events report it', async () => {
  const events = await t.docker.getEvents({ filters: { type: ['container'], event: ['health_status'] } });
  const seen: string[] = [];
  events.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n').filter(Boolean)) seen.push(JSON.parse(line).Action);
  });
  try {
    const c = await t.docker.createContainer({
      Image: BUSYBOX,
      Cmd: ['sleep', '300'],
      Healthcheck: { Test: ['CMD-SHELL', 'test -f /tmp/ok'], Interval: 200e6, Timeout: 2e9, Retries: 2 },
    });
    await c.start();
    assert.equal((await c.inspect()).State.Health?.Status, 'starting');
    await (await c.exec({ Cmd: ['touch', '/tmp/ok'] })).start({ Detach: true });
    const status = async (want: string) => {
      for (let i = 0; i < 150; i++) {
        const h = (await c.inspect()).State.Health;
        if (h?.Status === want) return h;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`health never became ${want}`);
    };
    await status('healthy');
    await (await c.exec({ Cmd: ['rm', '/tmp/ok'] })).start({ Detach: true });
    const h = await status('unhealthy');
    assert.ok(h.FailingStreak >= 2);
    assert.ok(h.Log.length > 0 && h.Log.at(-1)!.ExitCode !== 0);
    assert.deepEqual(seen.slice(0, 2), ['health_status: healthy', 'health_status: unhealthy']);
    await c.remove({ force: true });
  } finally {
    (events as unknown as { destroy(): void }).destroy();
  }
});
