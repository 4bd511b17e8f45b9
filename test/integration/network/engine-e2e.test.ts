// End to end through the bundled engine and the real docker CLI: containers on a user network find each
// other by name and alias, a published port answers on the host, a named volume is seeded from the image
// and outlives its containers.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ImageRecord } from '../../../src/engine/contracts.js';
import { startEngine, type Engine, type EngineImages } from '../../../src/engine/engine.js';
import { createImageService } from '../../../src/engine/images/index.js';
import { createNetworkService, type BridgeNetworkService } from '../../../src/engine/network/index.js';
import { busyboxRootfs } from '../volumes/runc-container.js';
import { createHarness, type Harness } from './harness.js';

const IMAGE = 'tscn-test/busybox:latest';

function withTestImage(real: EngineImages, rootfs: string): EngineImages {
  const image: ImageRecord = {
    id: `sha256:${'c'.repeat(64)}`,
    repoTags: [IMAGE],
    repoDigests: [],
    created: new Date().toISOString(),
    size: 0,
    architecture: 'amd64',
    os: 'linux',
    layerDirs: [rootfs],
    config: { Cmd: ['sh'], Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], ExposedPorts: { '80/tcp': {} } },
  };
  // everything else (the /images routes among it) is the real service's
  return Object.assign(Object.create(real) as EngineImages, {
    async resolve(ref: string) {
      return ref === IMAGE || ref === image.id ? image : real.resolve(ref);
    },
    async list() {
      return [image, ...(await real.list())];
    },
  });
}

async function fetchText(url: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await (await fetch(url)).text();
    } catch (err) {
      if (attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('bundled engine: networks and volumes through the docker CLI', () => {
  let h: Harness;
  let engine: Engine | undefined;
  let networks: BridgeNetworkService | undefined;
  let socket: string;
  let net: string;

  const docker = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('docker', ['-H', `unix://${socket}`, ...args], {
        env: { ...process.env, DOCKER_CONFIG: path.join(h.root, 'docker-config') },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });

  before(async () => {
    h = createHarness();
    socket = path.join(h.root, 'engine.sock');
    const rootfs = await busyboxRootfs(path.join(h.root, 'rootfs'), {
      'www/index.html': 'hello from web\n',
      'data/seed.txt': 'from image\n',
    });
    const resolvConf = path.join(h.root, 'host-resolv.conf');
    engine = await startEngine({
      root: path.join(h.root, 'state'),
      socketPath: socket,
      images: (ctx, runner) => withTestImage(createImageService(ctx, runner), rootfs),
      networks: (ctx) =>
        (networks = createNetworkService(ctx, {
          interfacePrefix: h.prefix,
          chainPrefix: h.prefix,
          hostResolvConf: resolvConf,
          pools: [{ base: `${h.subnet24()}.0/24`, size: 26 }],
        })),
    });
    spawnSync('sh', ['-c', `echo 'nameserver 127.0.0.1' > ${resolvConf}`]);
    net = `${h.prefix}-e2e`;
  });

  after(async () => {
    try {
      if (engine) {
        for (const c of engine.containers.store.all())
          await engine.containers.remove(c.id, { force: true, volumes: true }).catch(() => undefined);
        await engine.close();
      }
      await networks?.teardown();
    } finally {
      const root = h.root;
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[4])
        .filter((m) => m?.startsWith(root));
      for (const m of mounts.reverse()) spawnSync('umount', ['-l', m!]);
      await h.cleanup();
    }
  });

  it('resolves containers by name and alias on a user network', async () => {
    const created = await docker('network', 'create', '--subnet', `${h.subnet24()}.0/24`, net);
    assert.equal(created.code, 0, created.stderr);
    const web = await docker(
      'run',
      '-d',
      '--name',
      `${h.prefix}-web`,
      '--network',
      net,
      '--network-alias',
      'site',
      '-p',
      '127.0.0.1::80',
      IMAGE,
      'httpd',
      '-f',
      '-p',
      '80',
      '-h',
      '/www',
    );
    assert.equal(web.code, 0, web.stderr);
    for (const name of [`${h.prefix}-web`, 'site']) {
      const r = await docker(
        'run',
        '--network',
        net,
        IMAGE,
        'sh',
        '-c',
        `for i in 1 2 3 4 5; do timeout 5 wget -q -O - http://${name}/index.html && exit 0; sleep 0.3; done; exit 1`,
      );
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.equal(r.stdout, 'hello from web\n');
    }
  });

  it('answers a published port on 127.0.0.1 and reports it', async () => {
    const port = await docker('port', `${h.prefix}-web`, '80/tcp');
    assert.equal(port.code, 0, port.stderr);
    const hostPort = /127\.0\.0\.1:(\d+)/.exec(port.stdout)?.[1];
    assert.ok(hostPort, port.stdout);
    assert.equal(await fetchText(`http://127.0.0.1:${hostPort}/index.html`), 'hello from web\n');
    const inspect = JSON.parse((await docker('inspect', `${h.prefix}-web`)).stdout)[0];
    assert.ok(inspect.NetworkSettings.Networks[net].IPAddress.startsWith('10.200.'));
  });

  it('hands a warm network namespace to the next container; a fixed address wins over it; nothing is left after network rm', async () => {
    const net2 = `${h.prefix}-warm`;
    const subnet = h.subnet24();
    assert.equal((await docker('network', 'create', '--subnet', `${subnet}.0/24`, net2)).code, 0);
    const namespaces = () =>
      spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
        .stdout.split('\n')
        .map((l) => l.split(' ')[0]!)
        .filter((n) => n.startsWith(`${h.prefix}-`));
    const spareAddress = async (taken: string[] = []) => {
      for (let i = 0; i < 100; i++) {
        for (const ns of namespaces().filter((n) => n.includes('-spare-') && !taken.includes(n))) {
          const addr = /inet (\S+)\//.exec(
            spawnSync('ip', ['-n', ns, '-4', '-o', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' }).stdout,
          )?.[1];
          if (addr?.startsWith(`${subnet}.`)) return { ns, addr };
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no spare namespace on ${net2}: ${namespaces().join(' ')}`);
    };
    const first = await docker('run', '-d', '--name', `${h.prefix}-w1`, '--network', net2, IMAGE, 'httpd', '-f', '-p', '80', '-h', '/www');
    assert.equal(first.code, 0, first.stderr);
    // asking for exactly the spare's address still works: the spare goes
    const held = await spareAddress();
    const fixed = await docker('run', '-d', '--name', `${h.prefix}-w3`, '--network', net2, '--ip', held.addr, IMAGE, 'sleep', '60');
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.equal(JSON.parse((await docker('inspect', `${h.prefix}-w3`)).stdout)[0].NetworkSettings.Networks[net2].IPAddress, held.addr);
    // without a spare, the next container gets a namespace made for it and a new spare is made
    assert.equal((await docker('run', '-d', '--name', `${h.prefix}-w4`, '--network', net2, IMAGE, 'sleep', '60')).code, 0);
    const spare = await spareAddress([held.ns]);
    const second = await docker('run', '-d', '--name', `${h.prefix}-w2`, '--network', net2, IMAGE, 'sleep', '60');
    assert.equal(second.code, 0, second.stderr);
    const inspect = JSON.parse((await docker('inspect', `${h.prefix}-w2`)).stdout)[0];
    assert.equal(inspect.NetworkSettings.SandboxKey, `/run/netns/${spare.ns}`, 'the container took the warm namespace');
    assert.equal(inspect.NetworkSettings.Networks[net2].IPAddress, spare.addr);
    const fetched = await docker(
      'exec',
      `${h.prefix}-w2`,
      'sh',
      '-c',
      `for i in 1 2 3 4 5; do timeout 5 wget -q -O - http://${h.prefix}-w1/index.html && exit 0; sleep 0.3; done; exit 1`,
    );
    assert.equal(fetched.stdout, 'hello from web\n', fetched.stderr);
    assert.equal((await docker('rm', '-f', `${h.prefix}-w1`, `${h.prefix}-w2`, `${h.prefix}-w3`, `${h.prefix}-w4`)).code, 0);
    const removed = await docker('network', 'rm', net2);
    assert.equal(removed.code, 0, removed.stderr);
    const left = namespaces().filter((ns) =>
      spawnSync('ip', ['-n', ns, '-4', '-o', 'addr'], { encoding: 'utf8' }).stdout.includes(`${subnet}.`),
    );
    assert.deepEqual(left, [], 'no namespace of the removed network is left');
  });

  it("reuses an ended container's namespace for the next one only when nothing can have changed in it", async () => {
    const net3 = `${h.prefix}-reuse`;
    assert.equal((await docker('network', 'create', '--subnet', `${h.subnet24()}.0/24`, net3)).code, 0);
    const run = async (name: string, ...args: string[]) => {
      const r = await docker('run', '-d', '--name', `${h.prefix}-${name}`, '--network', net3, ...args, IMAGE, 'sleep', '60');
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse((await docker('inspect', `${h.prefix}-${name}`)).stdout)[0].NetworkSettings.SandboxKey as string;
    };
    const rm = async (name: string) => assert.equal((await docker('rm', '-f', `${h.prefix}-${name}`)).code, 0);
    const slow = await run('r0'); // the network's first container: a namespace of its own, and a spare is made
    const quiet = await run('r1');
    assert.notEqual(quiet, slow, 'the second container took the spare');
    await rm('r1');
    assert.equal(await run('r2'), quiet, 'a namespace left as it was is handed to the next container');
    // a TCP connection over loopback leaves a socket in TIME_WAIT inside the namespace
    const tcp = await docker(
      'exec',
      `${h.prefix}-r2`,
      'sh',
      '-c',
      'httpd -p 127.0.0.1:8080 -h /www && for i in 1 2 3 4 5; do timeout 5 wget -q -O - http://127.0.0.1:8080/index.html && exit 0; sleep 0.2; done; exit 1',
    );
    assert.equal(tcp.stdout, 'hello from web\n', tcp.stderr);
    await rm('r2');
    const afterTcp = await run('r3', '--cap-add', 'NET_ADMIN');
    assert.notEqual(afterTcp, quiet, 'a namespace with sockets left is not reused');
    await rm('r3');
    assert.notEqual(await run('r4'), afterTcp, 'nor one a container could reconfigure (NET_ADMIN)');
    await rm('r4');
    await rm('r0');
    const fetched = await docker('run', '--rm', '--network', net3, IMAGE, 'sh', '-c', 'ip -o -4 addr show dev eth0 && ip route');
    assert.match(fetched.stdout, /eth0\s+inet /, fetched.stderr);
    assert.match(fetched.stdout, /default via /);
    assert.equal((await docker('network', 'rm', net3)).code, 0);
  });

  it('a restarted container keeps its address although a spare namespace with another one is ready', async () => {
    const net4 = `${h.prefix}-keep`;
    const subnet = h.subnet24();
    assert.equal((await docker('network', 'create', '--subnet', `${subnet}.0/24`, net4)).code, 0);
    const name = `${h.prefix}-k1`;
    assert.equal((await docker('run', '-d', '--name', name, '--network', net4, IMAGE, 'httpd', '-f', '-p', '80', '-h', '/www')).code, 0);
    const address = async () => JSON.parse((await docker('inspect', name)).stdout)[0].NetworkSettings.Networks[net4].IPAddress as string;
    const before = await address();
    const spareReady = () =>
      spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
        .stdout.split('\n')
        .map((l) => l.split(' ')[0]!)
        .filter((n) => n.startsWith(`${h.prefix}-spare-`))
        .some((ns) =>
          spawnSync('ip', ['-n', ns, '-4', '-o', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' }).stdout.includes(`${subnet}.`),
        );
    for (let i = 0; i < 100 && !spareReady(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(spareReady(), 'the network has a spare namespace');
    // served once: a connection in TIME_WAIT keeps its namespace from being reused, so the address is all that stays
    assert.equal(await fetchText(`http://${before}/index.html`), 'hello from web\n');
    assert.equal((await docker('restart', '-t', '1', name)).code, 0);
    assert.equal(await address(), before);
    assert.equal(await fetchText(`http://${before}/index.html`), 'hello from web\n');
    assert.equal((await docker('rm', '-f', name)).code, 0);
    assert.equal((await docker('network', 'rm', net4)).code, 0);
  });

  it('seeds a named volume from the image and keeps it after the container is removed', async () => {
    const vol = `${h.prefix}-data`;
    const first = await docker(
      'run',
      '--name',
      `${h.prefix}-v1`,
      '-v',
      `${vol}:/data`,
      IMAGE,
      'sh',
      '-c',
      'cat /data/seed.txt; echo kept > /data/new.txt',
    );
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'from image\n');
    const rm1 = await docker('rm', '-f', '-v', `${h.prefix}-v1`);
    assert.equal(rm1.code, 0, rm1.stderr);
    const second = await docker('run', '--name', `${h.prefix}-v2`, '-v', `${vol}:/data`, IMAGE, 'cat', '/data/new.txt');
    assert.equal(second.stdout, 'kept\n');
    const busy = await docker('volume', 'rm', vol);
    assert.match(busy.stderr, /volume is in use/);
    const rm2 = await docker('rm', '-f', '-v', `${h.prefix}-v2`);
    assert.equal(rm2.code, 0, rm2.stderr);
    const rmVolume = await docker('volume', 'rm', vol);
    assert.equal(rmVolume.code, 0, rmVolume.stderr);
  });
});
