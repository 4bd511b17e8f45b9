// The engine contract: one set of cases written once against the Docker Engine API (through dockerode, as the client
// side talks to any engine), run against Docker Engine and against the bundled engine. A difference between the two
// engines shows as a failing case, or as a case skipped with its reason on one engine (`differs`), never as two
// suites that drifted apart (containerd runs its snapshotter testsuite the same way against every implementation).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { bundledTarget, dockerTarget, type EngineTarget } from '../e2e/lifecycle/engines.js';
import { buildBusyboxImage } from '../helpers/busybox-image.js';
import { demux } from '../helpers/docker-stream.js';

const IMAGE = 'tsc-contract/busybox:latest';

/** Cases that an engine is known to answer differently, with the reason (shown as the skip message). */
const differs: Record<EngineTarget['name'], Record<string, string>> = { docker: {}, bundled: {} };

type Case = (d: Docker, name: (what: string) => string) => Promise<void>;
const cases: [string, Case][] = [];
const contract = (title: string, fn: Case) => cases.push([title, fn]);

interface ApiError {
  statusCode?: number;
  message: string;
}
const status = (code: number, pattern?: RegExp) => (e: ApiError) => e.statusCode === code && (!pattern || pattern.test(e.message));

async function run(d: Docker, name: string, cmd: string[], extra: Docker.ContainerCreateOptions = {}): Promise<Docker.Container> {
  const c = await d.createContainer({ Image: IMAGE, name, Cmd: cmd, ...extra });
  await c.start();
  return c;
}

/** stdout and stderr of a container that has exited, demultiplexed (no TTY). */
async function output(c: Docker.Container): Promise<{ stdout: string; stderr: string }> {
  return demux(await c.logs({ stdout: true, stderr: true, follow: false }));
}

contract('a container runs, exits with its code, and its logs keep stdout and stderr apart', async (d, name) => {
  const c = await run(d, name('exit'), ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3']);
  assert.equal((await c.wait()).StatusCode, 3);
  const info = await c.inspect();
  assert.equal(info.State.Status, 'exited');
  assert.equal(info.State.ExitCode, 3);
  assert.deepEqual(await output(c), { stdout: 'to-out\n', stderr: 'to-err\n' });
  await c.remove();
});

contract('inspect of a missing container is a 404 naming it', async (d) => {
  await assert.rejects(d.getContainer('tsc-contract-nope').inspect(), status(404, /No such container: tsc-contract-nope/));
});

contract('a name in use is a 409; a running container is removed only with force', async (d, name) => {
  const n = name('busy');
  const c = await run(d, n, ['sleep', '60']);
  await assert.rejects(d.createContainer({ Image: IMAGE, name: n, Cmd: ['true'] }), status(409, /already in use/));
  await assert.rejects(c.remove(), status(409, /(stop|kill) the container before|You cannot remove a running container/i));
  await c.remove({ force: true });
  await assert.rejects(c.inspect(), status(404));
});

contract('kill gives 137; stop of a process that ignores SIGTERM kills it after the timeout', async (d, name) => {
  const killed = await run(d, name('kill'), ['sleep', '60']);
  await killed.kill();
  assert.equal((await killed.wait()).StatusCode, 137);
  const stubborn = await run(d, name('stop'), ['sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done']);
  await stubborn.stop({ t: 1 });
  assert.equal((await stubborn.inspect()).State.ExitCode, 137);
  await Promise.all([killed.remove(), stubborn.remove()]);
});

contract('resize: a size that is not a number is a 400, a container that does not run a 409', async (d, name) => {
  const c = await d.createContainer({ Image: IMAGE, name: name('resize'), Cmd: ['true'], Tty: true });
  await assert.rejects(c.resize({ h: 'a', w: 10 }), status(400, /invalid syntax/));
  await assert.rejects(c.resize({ h: 10, w: 10 }), status(409, /is not running/));
  await c.remove();
});

contract('exec runs in the container and reports its exit code', async (d, name) => {
  const c = await run(d, name('exec'), ['sleep', '60']);
  const ex = await c.exec({ Cmd: ['sh', '-c', 'test -d /proc/1 && exit 7'], AttachStdout: true, AttachStderr: true });
  const stream = await ex.start({ hijack: true, stdin: false });
  stream.resume();
  await new Promise((r) => stream.on('end', r));
  assert.equal((await ex.inspect()).ExitCode, 7);
  await c.remove({ force: true });
});

contract('a container with --rm whose command cannot start is removed, so a client waiting for that returns', async (d, name) => {
  const c = await d.createContainer({ Image: IMAGE, name: name('rm'), Cmd: ['no-such-command'], HostConfig: { AutoRemove: true } });
  const removed = c.wait({ condition: 'removed' });
  await assert.rejects(c.start(), (e: ApiError) => (e.statusCode === 400 || e.statusCode === 500) && /no-such-command/.test(e.message));
  await Promise.race([removed, new Promise((_, fail) => setTimeout(() => fail(new Error('never removed')), 20_000).unref())]);
  await assert.rejects(c.inspect(), status(404));
});

contract('containers on a user network find each other by name and alias; the network cannot go while in use', async (d, name) => {
  const net = await d.createNetwork({ Name: name('net') });
  const server = await run(d, name('server'), ['sleep', '60'], {
    NetworkingConfig: { EndpointsConfig: { [name('net')]: { Aliases: ['db'] } } },
  });
  const client = await run(d, name('client'), ['sh', '-c', `nslookup ${name('server')} && nslookup db`], {
    HostConfig: { NetworkMode: name('net') },
  });
  assert.equal((await client.wait()).StatusCode, 0, (await output(client)).stdout);
  await assert.rejects(net.remove(), status(403, /active endpoints/));
  await Promise.all([client.remove(), server.remove({ force: true })]);
  await net.remove();
});

contract('a named volume keeps data across containers and cannot be removed while in use', async (d, name) => {
  const vol = name('vol');
  await d.createVolume({ Name: vol, Labels: { purpose: 'contract' } });
  const info = await d.getVolume(vol).inspect();
  assert.equal(info.Driver, 'local');
  assert.deepEqual(info.Labels, { purpose: 'contract' });
  const writer = await run(d, name('writer'), ['sh', '-c', 'echo kept > /data/f'], { HostConfig: { Binds: [`${vol}:/data`] } });
  await writer.wait();
  const reader = await run(d, name('reader'), ['cat', '/data/f'], { HostConfig: { Binds: [`${vol}:/data`] } });
  await reader.wait();
  assert.equal((await output(reader)).stdout, 'kept\n');
  await assert.rejects(d.getVolume(vol).remove(), status(409, /in use/));
  await Promise.all([writer.remove(), reader.remove()]);
  await d.getVolume(vol).remove();
});

contract('archives go into and come out of a container (docker cp)', async (d, name) => {
  const c = await run(d, name('cp'), ['sleep', '60']);
  const pack = tar.pack();
  pack.entry({ name: 'hello.txt', mode: 0o640 }, 'from the host\n');
  pack.finalize();
  await c.putArchive(pack as unknown as NodeJS.ReadableStream, { path: '/' });
  const got = await c.getArchive({ path: '/hello.txt' });
  const extract = tar.extract();
  let content = '',
    mode = 0;
  extract.on('entry', (h, s, next) => {
    mode = h.mode ?? 0;
    s.on('data', (b) => {
      content += String(b);
    });
    s.on('end', next);
  });
  await new Promise<void>((ok, fail) => {
    extract.on('finish', ok);
    extract.on('error', fail);
    got.pipe(extract);
  });
  assert.equal(content, 'from the host\n');
  assert.equal(mode & 0o777, 0o640);
  await assert.rejects(
    c.getArchive({ path: '/no/such/file' }),
    status(404, new RegExp(`Could not find the file /no/such/file in container ${c.id}`)),
  );
  await c.remove({ force: true });
});

/** The files of a tar archive by name. */
async function untar(stream: NodeJS.ReadableStream): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const extract = tar.extract();
  extract.on('entry', (h, s, next) => {
    let text = '';
    s.on('data', (b) => {
      text += String(b);
    });
    s.on('end', () => {
      files.set(h.name, text);
      next();
    });
  });
  await new Promise<void>((ok, fail) => {
    extract.on('finish', ok);
    extract.on('error', fail);
    stream.pipe(extract);
  });
  return files;
}

contract(
  "a container's volumes exist from create: inspect lists them and docker cp reaches them before the first start and after exit",
  async (d, name) => {
    const vol = name('cpvol');
    const c = await d.createContainer({
      Image: IMAGE,
      name: name('cpvols'),
      Cmd: ['sh', '-c', 'cat /anon/in.txt /named/in.txt > /anon/out.txt'],
      Volumes: { '/anon': {} },
      HostConfig: { Mounts: [{ Type: 'volume', Source: vol, Target: '/named' }] },
    });
    const mounts = (await c.inspect()).Mounts;
    assert.deepEqual(mounts.map((m) => [m.Destination, m.Type, m.RW]).sort(), [
      ['/anon', 'volume', true],
      ['/named', 'volume', true],
    ]);
    assert.equal(mounts.find((m) => m.Destination === '/named')!.Name, vol);
    for (const dir of ['/anon', '/named']) {
      const pack = tar.pack();
      pack.entry({ name: 'in.txt' }, `into ${dir}\n`);
      pack.finalize();
      await c.putArchive(pack as unknown as NodeJS.ReadableStream, { path: dir });
    }
    await c.start();
    assert.equal((await c.wait()).StatusCode, 0, (await output(c)).stderr);
    const files = await untar(await c.getArchive({ path: '/anon/out.txt' }));
    assert.equal(files.get('out.txt'), 'into /anon\ninto /named\n');
    await c.remove({ v: true });
    await d.getVolume(vol).remove();
  },
);

contract('DELETE /containers/{parent}/{alias}?link=1 removes a legacy link and leaves both containers', async (d, name) => {
  const target = await run(d, name('linked'), ['sleep', '60']);
  const parent = await run(d, name('linker'), ['sleep', '60'], { HostConfig: { Links: [`${name('linked')}:db`] } });
  assert.deepEqual((await parent.inspect()).HostConfig.Links, [`/${name('linked')}:/${name('linker')}/db`]);
  await d.getContainer(`${name('linker')}/db`).remove({ link: true });
  assert.ok(!(await parent.inspect()).HostConfig.Links?.length);
  assert.equal((await target.inspect()).State.Running, true);
  await Promise.all([target.remove({ force: true }), parent.remove({ force: true })]);
});

contract("container prune reports the space of the pruned containers' own files", async (d, name) => {
  const label = `tsc-contract-prune-${name('p')}`;
  const c = await run(d, name('prune'), ['sh', '-c', 'head -c 5000 /dev/zero > /five-k'], { Labels: { [label]: '1' } });
  await c.wait();
  const r = (await d.pruneContainers({ filters: { label: [label] } })) as { ContainersDeleted: string[] | null; SpaceReclaimed: number };
  assert.deepEqual(r.ContainersDeleted, [c.id]);
  assert.ok(r.SpaceReclaimed >= 5000, `SpaceReclaimed ${r.SpaceReclaimed}`);
});

contract('build cachefrom: steps are reused from the named image only; an unknown one reuses nothing', async (d, name) => {
  const dockerfile = `FROM ${IMAGE}\nENV MARK=${name('mark')}\nRUN echo one > /one\nRUN echo two > /two\n`;
  const build = async (tag: string, cachefrom?: string[]) => {
    const pack = tar.pack();
    pack.entry({ name: 'Dockerfile' }, dockerfile);
    pack.finalize();
    const stream = await d.buildImage(pack as unknown as NodeJS.ReadableStream, {
      t: tag,
      ...(cachefrom ? { cachefrom: JSON.stringify(cachefrom) } : {}),
    });
    const msgs = await new Promise<{ stream?: string; error?: string }[]>((ok, fail) =>
      d.modem.followProgress(stream, (err, res) => (err ? fail(err) : ok(res))),
    );
    assert.ok(!msgs.some((m) => m.error), JSON.stringify(msgs));
    return msgs.filter((m) => m.stream?.includes('Using cache')).length;
  };
  const first = `tsc-contract/${name('cache1')}`;
  const second = `tsc-contract/${name('cache2')}`;
  assert.equal(await build(first), 0);
  assert.equal(await build(second, [first]), 3, 'ENV and both RUN steps come from the cache');
  assert.equal(await build(second, ['tsc-contract/no-such-image']), 0);
  await d.getImage(second).remove();
  await d.getImage(first).remove();
});

contract('a link on a user network makes its alias resolve for the linking container only', async (d, name) => {
  const net = name('linknet');
  await d.createNetwork({ Name: net });
  const linker = await run(d, name('ulinker'), ['sleep', '60'], {
    HostConfig: { NetworkMode: net },
    NetworkingConfig: { EndpointsConfig: { [net]: { Links: [`${name('upstream')}:bar`] } } },
  });
  assert.deepEqual((await linker.inspect()).NetworkSettings.Networks[net]!.Links, [`${name('upstream')}:bar`]);
  // the linked container may come after the link
  const upstream = await run(d, name('upstream'), ['sleep', '60'], { HostConfig: { NetworkMode: net } });
  const lookup = async (c: Docker.Container) => {
    const ex = await c.exec({ Cmd: ['nslookup', 'bar'], AttachStdout: true, AttachStderr: true });
    const stream = await ex.start({ hijack: true, stdin: false });
    stream.resume();
    await new Promise((r) => stream.on('end', r));
    return (await ex.inspect()).ExitCode;
  };
  assert.equal(await lookup(linker), 0);
  assert.notEqual(await lookup(upstream), 0, "the alias is the linking container's own");
  await Promise.all([linker.remove({ force: true }), upstream.remove({ force: true })]);
  await d.getNetwork(net).remove();
});

contract("a committed image names the container's image as its Parent", async (d, name) => {
  const c = await run(d, name('commit'), ['sh', '-c', 'echo hi > /committed']);
  await c.wait();
  const committed = (await c.commit()) as { Id: string };
  const image = await d.getImage(committed.Id).inspect();
  assert.equal(image.Parent, (await d.getImage(IMAGE).inspect()).Id);
  await c.remove();
  await d.getImage(committed.Id).remove();
});

contract(
  "build: RUN sees the predefined proxy args without an ARG, stderr comes in red, a failed step's exit code is in errorDetail",
  async (d, name) => {
    const build = async (dockerfile: string, buildargs: Record<string, string> = {}) => {
      const pack = tar.pack();
      pack.entry({ name: 'Dockerfile' }, dockerfile);
      pack.finalize();
      // forcerm: Docker's legacy builder otherwise keeps the failed step's container
      const stream = await d.buildImage(pack as unknown as NodeJS.ReadableStream, { nocache: true, buildargs, forcerm: true });
      return new Promise<{ stream?: string; error?: string; errorDetail?: { code?: number; message: string } }[]>((ok, fail) =>
        d.modem.followProgress(stream, (err, res) => (err ? fail(err) : ok(res))),
      );
    };
    const ok = await build(`FROM ${IMAGE}\nRUN env | grep -x "FTP_PROXY=ftp.${name('p')}" && echo "to stderr" >&2\n`, {
      FTP_PROXY: `ftp.${name('p')}`,
    });
    assert.ok(!ok.some((m) => m.error), JSON.stringify(ok));
    assert.ok(
      ok.some((m) => m.stream === '\x1b[91mto stderr\n\x1b[0m'),
      JSON.stringify(ok),
    );
    assert.ok(!ok.some((m) => m.stream?.includes('were not consumed')), 'a predefined arg is not reported as unused');
    const failed = await build(`FROM ${IMAGE}\nRUN exit 3\n`);
    assert.equal(failed.at(-1)?.errorDetail?.code, 3, JSON.stringify(failed.at(-1)));
  },
);

contract('a network created with an IPAM config and no IPAM options shows IPAM.Options null', async (d, name) => {
  const net = await d.createNetwork({
    Name: name('ipam'),
    IPAM: { Driver: 'default', Config: [{ Subnet: '10.219.0.0/16', IPRange: '10.219.5.0/24', Gateway: '10.219.5.254' }] },
  });
  const ipam = (await net.inspect()).IPAM as { Options?: unknown; Config: unknown[] };
  assert.equal(ipam.Options ?? null, null);
  assert.deepEqual(ipam.Config, [{ Subnet: '10.219.0.0/16', IPRange: '10.219.5.0/24', Gateway: '10.219.5.254' }]);
  await net.remove();
});

contract('an image gets another tag; removing that tag untags without deleting the image', async (d, name) => {
  const repo = `tsc-contract/${name('tag')}`;
  await d.getImage(IMAGE).tag({ repo, tag: 'v1' });
  assert.equal((await d.getImage(`${repo}:v1`).inspect()).Id, (await d.getImage(IMAGE).inspect()).Id);
  const removed = (await d.getImage(`${repo}:v1`).remove()) as { Untagged?: string; Deleted?: string }[];
  assert.deepEqual(
    removed.map((r) => Object.keys(r)[0]),
    ['Untagged'],
  );
  await assert.rejects(d.getImage(`${repo}:v1`).inspect(), status(404));
});

contract("events report a container's die with its exit code", async (d, name) => {
  const since = Math.floor(Date.now() / 1000) - 1;
  const c = await run(d, name('events'), ['sh', '-c', 'exit 5']);
  await c.wait();
  const stream = await d.getEvents({ since, until: Math.floor(Date.now() / 1000) + 1, filters: { container: [c.id], event: ['die'] } });
  let text = '';
  for await (const chunk of stream) text += chunk;
  const dies = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { Action: string; Actor: { Attributes: Record<string, string> } });
  assert.equal(dies.length, 1);
  assert.equal(dies[0]!.Actor.Attributes.exitCode, '5');
  await c.remove();
});

/** Polls inspect until `ok` holds (engines move on their own: restarts, healthchecks). */
async function until(
  c: Docker.Container,
  ok: (i: Docker.ContainerInspectInfo) => boolean,
  what: string,
  ms = 30_000,
): Promise<Docker.ContainerInspectInfo> {
  const end = Date.now() + ms;
  for (;;) {
    const info = await c.inspect();
    if (ok(info)) return info;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(info.State)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

contract('restart policy on-failure:2 restarts a failing container twice, then leaves it exited', async (d, name) => {
  const c = await run(d, name('onfail'), ['sh', '-c', 'exit 4'], {
    HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } },
  });
  const info = await until(c, (i) => i.RestartCount === 2 && i.State.Status === 'exited', 'two restarts');
  assert.equal(info.State.ExitCode, 4);
  await new Promise((r) => setTimeout(r, 1500)); // no third run
  assert.equal((await c.inspect()).RestartCount, 2);
  await c.remove();
});

contract('a stopped container with restart policy always stays stopped; stop cancels a pending restart', async (d, name) => {
  const c = await run(d, name('always'), ['sh', '-c', 'sleep 0.2; exit 1'], { HostConfig: { RestartPolicy: { Name: 'always' } } });
  await until(c, (i) => i.RestartCount >= 1, 'a restart');
  await c.stop({ t: 1 });
  const stopped = await c.inspect();
  assert.equal(stopped.State.Running, false);
  await new Promise((r) => setTimeout(r, 1500));
  const later = await c.inspect();
  assert.equal(later.State.Running, false);
  assert.equal(later.RestartCount, stopped.RestartCount);
  await c.remove();
});

contract('wait next-exit returns at the next exit; wait removed returns once an auto-remove container is gone', async (d, name) => {
  const c = await run(d, name('wait'), ['sh', '-c', 'sleep 1; exit 6']);
  assert.equal((await c.wait({ condition: 'next-exit' })).StatusCode, 6);
  const rm = await d.createContainer({ Image: IMAGE, name: name('waitrm'), Cmd: ['sh', '-c', 'exit 2'], HostConfig: { AutoRemove: true } });
  const removed = rm.wait({ condition: 'removed' });
  await rm.start();
  assert.equal((await removed).StatusCode, 2);
  await assert.rejects(rm.inspect(), status(404));
  await c.remove();
});

contract('pause and unpause; exec works again after unpause; rename keeps the container under its new name only', async (d, name) => {
  const c = await run(d, name('pause'), ['sleep', '60']);
  await c.pause();
  const paused = await c.inspect();
  assert.equal(paused.State.Status, 'paused');
  assert.equal(paused.State.Paused, true);
  await assert.rejects(c.pause(), status(409, /already paused/));
  await c.unpause();
  assert.equal((await c.inspect()).State.Status, 'running');
  await c.rename({ name: name('renamed') });
  assert.equal((await d.getContainer(name('renamed')).inspect()).Id, c.id);
  await assert.rejects(d.getContainer(name('pause')).inspect(), status(404));
  await c.remove({ force: true });
});

contract("update changes a running container's memory limit and restart policy; top lists its processes", async (d, name) => {
  const c = await run(d, name('update'), ['sleep', '60']);
  await c.update({ Memory: 64 * 1024 * 1024, MemorySwap: 128 * 1024 * 1024, RestartPolicy: { Name: 'unless-stopped' } });
  const info = await c.inspect();
  assert.equal(info.HostConfig.Memory, 64 * 1024 * 1024);
  assert.equal(info.HostConfig.RestartPolicy?.Name, 'unless-stopped');
  assert.equal(info.State.Running, true);
  await assert.rejects(c.update({ Memory: 1024 }), status(400, /Minimum memory limit/));
  const top = (await c.top()) as { Titles: string[]; Processes: string[][] };
  assert.ok(top.Titles.includes('PID'));
  assert.ok(
    top.Processes.some((p) => p.join(' ').includes('sleep 60')),
    JSON.stringify(top.Processes),
  );
  await c.remove({ force: true });
});

contract('stdin written on attach before start reaches the process; the end of stdin ends it', async (d, name) => {
  const c = await d.createContainer({
    Image: IMAGE,
    name: name('stdin'),
    Cmd: ['sh', '-c', 'cat; echo done'],
    OpenStdin: true,
    StdinOnce: true,
    AttachStdin: true,
    AttachStdout: true,
  });
  const stream = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
  stream.write('typed before start\n');
  stream.resume();
  await c.start();
  stream.end();
  assert.equal((await c.wait()).StatusCode, 0);
  assert.equal((await output(c)).stdout, 'typed before start\ndone\n');
  await c.remove();
});

contract('a healthcheck makes a container healthy; a failing one unhealthy after its retries', async (d, name) => {
  const probe = (test: string[]) => ({ Test: test, Interval: 200_000_000, Timeout: 2_000_000_000, Retries: 2 });
  const good = await run(d, name('healthy'), ['sleep', '60'], { Healthcheck: probe(['CMD', 'true']) });
  const bad = await run(d, name('unhealthy'), ['sleep', '60'], { Healthcheck: probe(['CMD-SHELL', 'exit 1']) });
  await until(good, (i) => i.State.Health?.Status === 'healthy', 'healthy');
  const info = await until(bad, (i) => i.State.Health?.Status === 'unhealthy', 'unhealthy');
  assert.ok((info.State.Health?.FailingStreak ?? 0) >= 2);
  assert.equal(info.State.Health?.Log?.[0]?.ExitCode, 1);
  for (const [health, ids] of [
    ['unhealthy', [bad.id]],
    ['healthy', [good.id]],
  ] as const) {
    const listed = await d.listContainers({ filters: { health: [health], name: [name('healthy'), name('unhealthy')] } });
    assert.deepEqual(
      listed.map((l) => l.Id),
      ids,
      health,
    );
  }
  await Promise.all([good.remove({ force: true }), bad.remove({ force: true })]);
});

for (const make of [dockerTarget, bundledTarget]) {
  const engineName = make === dockerTarget ? 'docker' : 'bundled';
  describe(`the engine contract on ${engineName === 'docker' ? 'Docker Engine' : 'the bundled engine'}`, () => {
    let target: EngineTarget | undefined;
    const suffix = randomBytes(3).toString('hex');
    const name = (what: string) => `tsc-contract-${what}-${suffix}`;
    before(async () => {
      if (engineName === 'bundled') process.env.TSCOMPOSE_TEST_BUNDLED = '1';
      target = await make();
      if (!target) return;
      buildBusyboxImage(engineName === 'bundled' ? `unix://${target.env.TSCOMPOSE_ENGINE_SOCKET}` : 'unix:///var/run/docker.sock', IMAGE);
    });
    after(async () => {
      if (!target) return;
      // whatever a failed case left behind
      for (const c of await target.docker.listContainers({ all: true, filters: { name: [`tsc-contract-`] } })) {
        await target.docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => {});
      }
      for (const n of await target.docker.listNetworks({ filters: { name: ['tsc-contract-'] } }))
        await target.docker
          .getNetwork(n.Id)
          .remove()
          .catch(() => {});
      for (const v of (await target.docker.listVolumes({ filters: { name: ['tsc-contract-'] } })).Volumes ?? [])
        await target.docker
          .getVolume(v.Name)
          .remove()
          .catch(() => {});
      await target.docker
        .getImage(IMAGE)
        .remove({ force: true })
        .catch(() => {});
      await target.stop();
    });
    for (const [title, fn] of cases) {
      test(title, async (t) => {
        if (!target) {
          t.skip(`${engineName} engine not available here`);
          return;
        }
        const reason = differs[engineName][title];
        if (reason) {
          t.skip(`differs on this engine: ${reason}`);
          return;
        }
        await fn(target.docker, name);
      });
    }
  });
}
