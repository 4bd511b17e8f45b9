// Build RUN steps and the host's network (issue #11 item 2): each step gets a network namespace of its own
// on the default bridge, like Docker's builder, so it cannot reach what listens on the host's loopback or
// on the host's abstract unix sockets; `--network none` gives loopback only; `--network host` only when
// asked. The attack is performed for real: a TCP server on the host's 127.0.0.1 and an abstract unix socket
// listener on the host, and a RUN step that tries both (busybox nc, a static connector compiled here).
// Driven through the real docker CLI (DOCKER_BUILDKIT=0) and through `tscompose build` (compose
// `build.network`, `build.extra_hosts`) on the bundled engine and, for comparison, on Docker Engine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startTestEngine, BUSYBOX, type TestEngine } from '../engine/harness.js';
import { ensureDockerd } from '../../helpers/dockerd.js';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { createHarness } from '../network/harness.js';

const REPO = path.resolve(import.meta.dirname, '../../..');

const CONNECTOR_C = `
#include <sys/socket.h>
#include <sys/un.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>
/* connects to the abstract unix socket named argv[1] (the name as given, else NUL-padded to the full
   address size, as libuv binds it), says ping, prints the answer */
int main(int argc, char **argv) {
  if (argc < 2) return 2;
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a; memset(&a, 0, sizeof a); a.sun_family = AF_UNIX;
  size_t n = strlen(argv[1]); if (n > sizeof a.sun_path - 1) return 2;
  memcpy(a.sun_path + 1, argv[1], n);
  if (connect(fd, (struct sockaddr *)&a, sizeof(a.sun_family) + 1 + n) != 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); return 1; }
  if (write(fd, "ping\\n", 5) != 5) return 1;
  char buf[256]; ssize_t r = read(fd, buf, sizeof buf - 1);
  if (r > 0) { buf[r] = 0; fputs(buf, stdout); }
  return 0;
}
`;

interface HostListeners {
  port: number;
  abstractName: string;
  tcpConnections: number;
  unixConnections: number;
  close(): Promise<void>;
}

/** What a build step must not reach unless it runs in the host's network namespace. */
async function hostListeners(): Promise<HostListeners> {
  const l = { port: 0, abstractName: `tsc-bn-${randomBytes(6).toString('hex')}`, tcpConnections: 0, unixConnections: 0 } as HostListeners;
  const sockets = new Set<net.Socket>();
  const answer = (s: net.Socket, text: string) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.end(text);
  };
  const tcp = net.createServer((s) => {
    l.tcpConnections++;
    answer(s, 'pong-tcp\n');
  });
  const unix = net.createServer((s) => {
    l.unixConnections++;
    answer(s, 'pong-unix\n');
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => unix.listen(`\0${l.abstractName}`, r));
  l.port = (tcp.address() as net.AddressInfo).port;
  l.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => tcp.close(r));
    await new Promise((r) => unix.close(r));
  };
  return l;
}

/** The probe a RUN step runs: one marked line per fact, easy to pick out of the build output. */
function probeScript(l: HostListeners, tag: string): string {
  return [
    `echo "${tag}"`,
    `echo "tcp=[$(echo ping | timeout 3 nc 127.0.0.1 ${l.port} 2>&1 | tr '\\n' ' ')]"`,
    `echo "unix=[$(timeout 3 /bin/uconnect ${l.abstractName} 2>&1 | tr '\\n' ' ')]"`,
    `echo "ifaces=[$(ls /sys/class/net | tr '\\n' ' ')]"`,
    `echo "addr=[$(ip -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}')]"`,
    `echo "route=[$(ip -4 route show default 2>/dev/null)]"`,
    `echo "hostname=[$(hostname)]"`,
    `echo "hosts=[$(cat /etc/hosts | tr '\\t\\n' ' |')]"`,
    `echo "resolv=[$(cat /etc/resolv.conf | tr '\\n' '|')]"`,
  ].join(' && ');
}

function field(output: string, name: string): string {
  const m = new RegExp(`^${name}=\\[(.*)\\]$`, 'm').exec(output);
  assert.ok(m, `no ${name}= line in the build output:\n${output}`);
  return m[1]!;
}

let t: TestEngine;
let listeners: HostListeners;
let ctxDir: string;
let connector: string;
const stepIds: string[] = [];

before(async () => {
  t = await startTestEngine();
  listeners = await hostListeners();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-bn-'));
  writeFileSync(path.join(dir, 'uconnect.c'), CONNECTOR_C);
  execFileSync('gcc', ['-static', '-O2', '-o', path.join(dir, 'uconnect'), path.join(dir, 'uconnect.c')]);
  connector = path.join(dir, 'uconnect');
  ctxDir = dir;
});

after(async () => {
  await listeners?.close();
  await t?.cleanup();
  if (ctxDir) rmSync(ctxDir, { recursive: true, force: true });
});

/** A build context FROM the test busybox image with the connector, whose RUN runs the probe. */
function probeContext(from: string, tag: string, extraLines: string[] = []): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-bn-ctx-'));
  copyFileSync(connector, path.join(dir, 'uconnect'));
  writeFileSync(
    path.join(dir, 'Dockerfile'),
    [`FROM ${from}`, 'COPY uconnect /bin/uconnect', ...extraLines, `RUN ${probeScript(listeners, tag)}`, ''].join('\n'),
  );
  return dir;
}

async function cliBuild(args: string[], tag: string): Promise<string> {
  const dir = probeContext(BUSYBOX, tag);
  try {
    const r = await t.cli(['build', '--no-cache', ...args, '-t', `tsc-bn/${tag}`, dir]);
    assert.equal(r.code, 0, `docker build ${args.join(' ')} failed: ${r.stderr}\n${r.stdout}`);
    for (const m of r.stdout.matchAll(/Running in ([0-9a-f]{12})/g)) stepIds.push(m[1]!);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function defaultBridge(): Promise<{ subnet: string; gateway: string; bridge: string }> {
  const info = (await t.docker.getNetwork('bridge').inspect()) as {
    IPAM: { Config: { Subnet: string; Gateway: string }[] };
    Options?: Record<string, string>;
    Id: string;
  };
  const bridge = info.Options?.['com.docker.network.bridge.name'] ?? '';
  return { subnet: info.IPAM.Config[0]!.Subnet, gateway: info.IPAM.Config[0]!.Gateway, bridge };
}

function inSubnet(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = (a: string) => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(n(ip) / size) === Math.floor(n(base!) / size);
}

test('a default build: the RUN step reaches neither the host loopback nor host abstract sockets, and has eth0 on the default bridge', async () => {
  const before = { tcp: listeners.tcpConnections, unix: listeners.unixConnections };
  const out = await cliBuild(['--add-host', 'extra.example:10.1.2.3'], 'default');
  assert.doesNotMatch(field(out, 'tcp'), /pong-tcp/);
  assert.doesNotMatch(field(out, 'unix'), /pong-unix/);
  assert.match(field(out, 'unix'), /Connection refused/);
  assert.equal(listeners.tcpConnections, before.tcp, 'the host TCP server saw a connection from a default build');
  assert.equal(listeners.unixConnections, before.unix, 'the host abstract socket saw a connection from a default build');

  const { subnet, gateway } = await defaultBridge();
  assert.deepEqual(field(out, 'ifaces').trim().split(' ').sort(), ['eth0', 'lo']);
  const [ip, prefix] = field(out, 'addr').split('/');
  assert.ok(ip && inSubnet(ip, subnet), `eth0 has ${field(out, 'addr')}, not in the default bridge subnet ${subnet}`);
  assert.equal(prefix, subnet.split('/')[1]);
  assert.match(field(out, 'route'), new RegExp(`^default via ${gateway.replace(/\./g, '\\.')} dev eth0`));
  // Docker's classic builder: the hostname is the step container's short id, in /etc/hosts with its address
  const hostname = field(out, 'hostname');
  assert.match(out, new RegExp(`Running in ${hostname}`));
  const hosts = field(out, 'hosts');
  assert.match(hosts, /127\.0\.0\.1 localhost/);
  assert.match(hosts, new RegExp(`${ip!.replace(/\./g, '\\.')} ${hostname}`));
  assert.match(hosts, /10\.1\.2\.3 extra\.example/);
  // the host's upstream resolvers (loopback ones dropped), never an embedded DNS on the gateway
  const resolv = field(out, 'resolv');
  assert.match(resolv, /nameserver /);
  assert.doesNotMatch(resolv, new RegExp(`nameserver ${gateway.replace(/\./g, '\\.')}\\b`));
  assert.doesNotMatch(resolv, /nameserver 127\./);
});

test('--network none: loopback only, neither host listener reachable', async () => {
  const before = { tcp: listeners.tcpConnections, unix: listeners.unixConnections };
  const out = await cliBuild(['--network', 'none', '--add-host', 'extra.example:10.1.2.3'], 'none');
  assert.doesNotMatch(field(out, 'tcp'), /pong-tcp/);
  assert.doesNotMatch(field(out, 'unix'), /pong-unix/);
  assert.equal(field(out, 'ifaces').trim(), 'lo');
  assert.match(field(out, 'hosts'), /10\.1\.2\.3 extra\.example/);
  assert.equal(listeners.tcpConnections, before.tcp);
  assert.equal(listeners.unixConnections, before.unix);
});

test('--network host, when asked: the step shares the host network namespace and reaches both', async () => {
  const before = { tcp: listeners.tcpConnections, unix: listeners.unixConnections };
  const out = await cliBuild(['--network', 'host', '--add-host', 'extra.example:10.1.2.3'], 'host');
  assert.match(field(out, 'tcp'), /pong-tcp/);
  assert.match(field(out, 'unix'), /pong-unix/);
  assert.match(field(out, 'hosts'), /10\.1\.2\.3 extra\.example/);
  assert.equal(listeners.tcpConnections, before.tcp + 1);
  assert.equal(listeners.unixConnections, before.unix + 1);
});

test('--network <user network>: the step joins it; an unknown network is refused before the build', async () => {
  const name = `tsc-bn-${randomBytes(3).toString('hex')}`;
  const created = await t.cli(['network', 'create', name]);
  assert.equal(created.code, 0, created.stderr);
  try {
    const subnet = ((await t.docker.getNetwork(name).inspect()) as { IPAM: { Config: { Subnet: string }[] } }).IPAM.Config[0]!.Subnet;
    const out = await cliBuild(['--network', name], 'usernet');
    const ip = field(out, 'addr').split('/')[0]!;
    assert.ok(inSubnet(ip, subnet), `eth0 has ${ip}, not in ${name}'s subnet ${subnet}`);
    assert.doesNotMatch(field(out, 'tcp'), /pong-tcp/);
  } finally {
    await t.cli(['network', 'rm', name]);
  }
  const dir = probeContext(BUSYBOX, 'nosuch');
  try {
    const r = await t.cli(['build', '--network', 'no-such-network-here', '-t', 'tsc-bn/nosuch', dir]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /network no-such-network-here not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a default build reaches the outside through NAT (like a package mirror); a --network none build does not', async () => {
  const h = createHarness();
  try {
    const outside = await h.outside();
    const www = path.join(h.root, 'www');
    mkdirSync(www, { recursive: true });
    writeFileSync(path.join(www, 'pkg.txt'), 'package from outside\n');
    h.serveHttp(outside.pid, www);
    const fetchStep = (tag: string) =>
      [`FROM ${BUSYBOX}`, `RUN echo ${tag} && echo "fetched=[$(timeout 5 wget -q -O- http://${outside.address}/pkg.txt 2>&1)]"`, ''].join(
        '\n',
      );
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-bn-nat-'));
    try {
      // the outside namespace has no route back to the bridge subnet: only masqueraded requests get answers
      writeFileSync(path.join(dir, 'Dockerfile'), fetchStep('default'));
      let out = '';
      for (let i = 0; i < 5 && !out.includes('package from outside'); i++) {
        const r = await t.cli(['build', '--no-cache', '-t', 'tsc-bn/nat', dir]);
        assert.equal(r.code, 0, r.stderr);
        out = r.stdout;
      }
      assert.equal(field(out, 'fetched'), 'package from outside');
      writeFileSync(path.join(dir, 'Dockerfile'), fetchStep('none'));
      const none = await t.cli(['build', '--no-cache', '--network', 'none', '-t', 'tsc-bn/nat', dir]);
      assert.equal(none.code, 0, none.stderr);
      assert.doesNotMatch(field(none.stdout, 'fetched'), /package from outside/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await h.cleanup();
  }
});

test('after the builds no step namespace or veth is left: at most the one warm spare of the default bridge', async () => {
  assert.ok(stepIds.length >= 3);
  const netns = () =>
    execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter(Boolean);
  const ofSteps = () => netns().filter((n) => stepIds.some((id) => n.includes(id)));
  assert.ok(ofSteps().length <= 1, `namespaces left by build steps: ${ofSteps().join(' ')}`);
  const { bridge } = await defaultBridge();
  const ports = bridge
    ? execFileSync('ip', ['-o', 'link', 'show', 'master', bridge], { encoding: 'utf8' }).split('\n').filter(Boolean)
    : [];
  assert.ok(ports.length <= 1, `veths left on the default bridge ${bridge}:\n${ports.join('\n')}`);
  // the spare goes with the engine (closed, then started again on the same state)
  await t.restart();
  assert.deepEqual(ofSteps(), []);
  if (bridge && spawnSync('ip', ['link', 'show', bridge]).status === 0) {
    assert.equal(execFileSync('ip', ['-o', 'link', 'show', 'master', bridge], { encoding: 'utf8' }).trim(), '');
  }
});

// ---- through `tscompose build`, compose `build.network` and `build.extra_hosts` -------------------------

function tscompose(args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), path.join(REPO, 'src/cli/main.ts'), ...args],
      {
        cwd,
        timeout: 180_000,
        maxBuffer: 16 << 20,
        env: { ...process.env, CI: '1', NO_COLOR: '1', ...env },
      },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** A compose project with one service per network mode, each recording the probe into /probe.txt. */
function composeProject(from: string, images: Record<string, string>): string {
  const dir = probeContext(from, 'compose');
  writeFileSync(
    path.join(dir, 'Dockerfile'),
    [
      `FROM ${from}`,
      'COPY uconnect /bin/uconnect',
      'ARG MODE',
      `RUN (echo "mode=[$MODE]" && ${probeScript(listeners, 'compose')}) > /probe.txt 2>&1`,
      '',
    ].join('\n'),
  );
  const svc = (name: string, network: string | undefined, extra = '') =>
    [
      `  ${name}:`,
      `    image: ${images[name]}`,
      '    build:',
      '      context: .',
      `      args: { MODE: ${name} }`,
      ...(network ? [`      network: ${network}`] : []),
      ...(extra ? [extra] : []),
    ].join('\n');
  writeFileSync(
    path.join(dir, 'compose.yaml'),
    [
      'services:',
      svc('dflt', undefined, '      extra_hosts:\n        - "one.example=10.9.8.7"\n        - "two.example=10.9.8.6"'),
      svc('isolated', 'none'),
      svc('hostnet', 'host'),
      '',
    ].join('\n'),
  );
  return dir;
}

async function composeBuildCase(
  run: (image: string) => Promise<string>,
  from: string,
  env: Record<string, string>,
  flags: string[],
): Promise<void> {
  const suffix = randomBytes(3).toString('hex');
  const images = { dflt: `tsc-bn-dflt:${suffix}`, isolated: `tsc-bn-isolated:${suffix}`, hostnet: `tsc-bn-hostnet:${suffix}` };
  const dir = composeProject(from, images);
  const before = { tcp: listeners.tcpConnections, unix: listeners.unixConnections };
  try {
    const r = await tscompose([...flags, '-p', `tscbn${suffix}`, 'build', '--no-cache'], dir, env);
    assert.equal(r.code, 0, `tscompose build failed: ${r.stderr}\n${r.stdout}`);
    const dflt = await run(images.dflt);
    assert.equal(field(dflt, 'mode'), 'dflt');
    assert.doesNotMatch(field(dflt, 'tcp'), /pong-tcp/);
    assert.doesNotMatch(field(dflt, 'unix'), /pong-unix/);
    assert.match(field(dflt, 'addr'), /^\d+\.\d+\.\d+\.\d+\/\d+$/);
    assert.match(field(dflt, 'hosts'), /10\.9\.8\.7 one\.example/);
    assert.match(field(dflt, 'hosts'), /10\.9\.8\.6 two\.example/);
    const isolated = await run(images.isolated);
    assert.equal(field(isolated, 'ifaces').trim(), 'lo');
    assert.doesNotMatch(field(isolated, 'tcp'), /pong-tcp/);
    assert.doesNotMatch(field(isolated, 'unix'), /pong-unix/);
    const hostnet = await run(images.hostnet);
    assert.match(field(hostnet, 'tcp'), /pong-tcp/);
    assert.match(field(hostnet, 'unix'), /pong-unix/);
    assert.equal(listeners.tcpConnections, before.tcp + 1, 'only the host-network build reached the host TCP server');
    assert.equal(listeners.unixConnections, before.unix + 1, 'only the host-network build reached the host abstract socket');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('tscompose build on the bundled engine: build.network default / none / host and build.extra_hosts', async () => {
  await composeBuildCase(
    async (image) => {
      const r = await t.cli(['run', '--rm', '--network', 'none', image, 'cat', '/probe.txt']);
      assert.equal(r.code, 0, r.stderr);
      await t.cli(['rmi', image]);
      return r.stdout;
    },
    BUSYBOX,
    { TSCOMPOSE_STATE_ROOT: path.join(t.root, 'state'), TSCOMPOSE_ENGINE_SOCKET: t.socket },
    ['--engine', 'bundled'],
  );
});

test('tscompose build on Docker Engine: the same outcomes (the reference behaviour)', async (ctx) => {
  if (!(await ensureDockerd())) return ctx.skip('no Docker Engine');
  const base = `tsc-bn-busybox:${randomBytes(3).toString('hex')}`;
  const bb = busyboxContext(['CMD ["sh"]']);
  const docker = (args: string[]) => spawnSync('docker', args, { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  try {
    const built = docker(['build', '-q', '-t', base, bb]);
    assert.equal(built.status, 0, built.stderr);
    await composeBuildCase(
      async (image) => {
        const r = docker(['run', '--rm', '--network', 'none', image, 'cat', '/probe.txt']);
        assert.equal(r.status, 0, r.stderr);
        docker(['rmi', image]);
        return r.stdout;
      },
      base,
      { DOCKER_BUILDKIT: '0' },
      ['--engine', 'docker'],
    );
  } finally {
    docker(['rmi', base]);
    rmSync(bb, { recursive: true, force: true });
  }
});
