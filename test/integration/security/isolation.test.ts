// Containers on the bundled engine cannot escape the way issue #11 showed (user namespaces, mounts,
// host-looking network devices): every attack runs for real inside a container and must fail, with
// Docker Engine given the same probes for comparison. Docker's default seccomp profile, capabilities,
// masked/read-only paths and no_new_privileges as security_opt adjusts them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { loadEnvironment } from '../../../src/api/index.js';
import { startTestEngine, type TestEngine } from '../engine/harness.js';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { ensureDockerd } from '../../helpers/dockerd.js';

// root has no password (su from a user works with a setuid busybox); busybox itself is setuid root:
// it drops the privilege for every applet but `su`
const IMAGE = 'tsc-sec/busybox:isolation';
const context = () =>
  busyboxContext(
    ['COPY passwd /etc/passwd', 'COPY group /etc/group', 'RUN mkdir -p /tmp && chmod 1777 /tmp && chmod 4755 /bin/busybox', 'CMD ["sh"]'],
    { passwd: 'root::0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n', group: 'root:x:0:\napp:x:1000:\n' },
  );
// names nothing else on the host uses, to check the attacks left nothing behind
const BRIDGE = 'tscsecbr0';
const MOUNT_SOURCE = 'tscsec-tmpfs';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
let t: TestEngine;
let dockerOk = false;

function dockerCli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn('docker', ['-H', 'unix:///var/run/docker.sock', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
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
}

before(async () => {
  t = await startTestEngine();
  const ctx = context();
  try {
    const built = await t.cli(['build', '-q', '-t', IMAGE, ctx]);
    assert.equal(built.code, 0, built.stderr);
    dockerOk = (await ensureDockerd()) && (await dockerCli(['build', '-q', '-t', IMAGE, ctx])).code === 0;
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
});
after(async () => {
  await t?.cleanup();
});

const engines = () => [['bundled', (a: string[]) => t.cli(a)] as const, ...(dockerOk ? [['docker', dockerCli] as const] : [])];
const run = (cli: (a: string[]) => Promise<Run>, opts: string[], cmd: string) => cli(['run', '--rm', ...opts, IMAGE, 'sh', '-c', cmd]);
const hostLinks = () => readFileSync('/proc/net/dev', 'utf8');
const hostMounts = () => readFileSync('/proc/self/mountinfo', 'utf8');

test('the default confinement: user, network and mount namespaces, mounts and bridges are refused', async () => {
  for (const [name, cli] of engines()) {
    // the attack: a user namespace first (no capability needed), then "root" inside it
    const attacks = [
      'unshare -Ur id',
      `unshare -Urn ip link add ${BRIDGE} type bridge`,
      `mkdir -p /m && unshare -Urm mount -t tmpfs ${MOUNT_SOURCE} /m`,
      'unshare -n true',
      'unshare -m true',
      'unshare -p -f true',
      'nsenter -t 1 -n true',
    ];
    for (const cmd of attacks) {
      const r = await run(cli, [], cmd);
      assert.notEqual(r.code, 0, `${name}: ${cmd} must fail: ${r.stdout}`);
      assert.match(r.stderr, /Operation not permitted/, `${name}: ${cmd}`);
    }
    const mount = await run(cli, [], `mkdir -p /m && mount -t tmpfs ${MOUNT_SOURCE} /m`);
    assert.notEqual(mount.code, 0, `${name}: mount of a tmpfs must fail`);
    assert.match(mount.stderr, /permission denied|not permitted/i, name);
    const bridge = await run(cli, [], `ip link add ${BRIDGE} type bridge`);
    assert.notEqual(bridge.code, 0, `${name}: a bridge needs NET_ADMIN`);
    assert.match(bridge.stderr, /Operation not permitted/);
    // a process exec'd into a running container is confined the same way
    const started = await cli(['run', '-d', '--rm', IMAGE, 'sleep', '120']);
    assert.equal(started.code, 0, started.stderr);
    const id = started.stdout.trim();
    try {
      const exec = await cli(['exec', id, 'unshare', '-Ur', 'id']);
      assert.notEqual(exec.code, 0, `${name}: exec: unshare -Ur must fail: ${exec.stdout}`);
      assert.match(exec.stderr, /Operation not permitted/);
    } finally {
      await cli(['rm', '-f', id]);
    }
    const status = await run(cli, [], 'grep -E "^(Cap(Inh|Eff)|NoNewPrivs|Seccomp):" /proc/self/status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /CapInh:\s+0000000000000000/, `${name}: no inheritable capabilities`);
    assert.match(status.stdout, /CapEff:\s+00000000a80425fb/, `${name}: Docker's 14 default capabilities`);
    assert.match(status.stdout, /NoNewPrivs:\s+0/, `${name}: no_new_privileges off by default`);
    assert.match(status.stdout, /Seccomp:\s+2/, `${name}: a seccomp filter`);
  }
  assert.ok(!hostLinks().includes(BRIDGE), 'no bridge on the host');
  assert.ok(!hostMounts().includes(MOUNT_SOURCE), 'no mount on the host');
});

test('seccomp=unconfined and capabilities open the same doors as on Docker, inside the container only', async () => {
  for (const [name, cli] of engines()) {
    const userns = await run(
      cli,
      ['--security-opt', 'seccomp=unconfined'],
      `unshare -Ur id -u && unshare -Urn ip link add ${BRIDGE} type bridge && mkdir -p /m && unshare -Urm mount -t tmpfs ${MOUNT_SOURCE} /m && echo done`,
    );
    assert.equal(userns.code, 0, `${name}: ${userns.stderr}`);
    assert.deepEqual(userns.stdout.trim().split('\n'), ['0', 'done'], `${name}: root in its own user namespace`);
    const mount = await run(
      cli,
      ['--security-opt', 'seccomp=unconfined', '--cap-add', 'SYS_ADMIN'],
      `mkdir -p /m && mount -t tmpfs ${MOUNT_SOURCE} /m && grep -c ${MOUNT_SOURCE} /proc/self/mounts`,
    );
    assert.equal(mount.code, 0, `${name}: ${mount.stderr}`);
    const bridge = await run(
      cli,
      ['--cap-add', 'net_admin'],
      `ip link add ${BRIDGE} type bridge && ip link show ${BRIDGE} >/dev/null && echo made`,
    );
    assert.equal(bridge.code, 0, `${name}: ${bridge.stderr}`);
    assert.equal(bridge.stdout.trim(), 'made');
    // the default profile still allows what CAP_SYS_ADMIN allows, as Docker's does
    const admin = await run(cli, ['--cap-add', 'SYS_ADMIN'], 'unshare -m true && echo ok');
    assert.equal(admin.stdout.trim(), 'ok', `${name}: ${admin.stderr}`);
  }
  assert.ok(!hostLinks().includes(BRIDGE), "the bridge lived in the container's network namespace");
  assert.ok(!hostMounts().includes(MOUNT_SOURCE), "the tmpfs lived in the container's mount namespace");
});

test("a custom profile (the docker CLI sends the file's JSON content) applies; cap_drop removes a default capability", async () => {
  const dir = mkdtempSync('/tmp/tsc-sec-profile-');
  const file = path.join(dir, 'no-mkdir.json');
  writeFileSync(
    file,
    JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }, null, 2),
  );
  try {
    for (const [name, cli] of engines()) {
      const r = await run(cli, ['--security-opt', `seccomp=${file}`], 'touch /yes && mkdir /nope');
      assert.notEqual(r.code, 0, `${name}: mkdir denied by the custom profile`);
      assert.match(r.stderr, /can't create directory '\/nope': Operation not permitted/, name);
      const control = await run(cli, [], 'mkdir /yes && echo ok');
      assert.equal(control.stdout.trim(), 'ok', `${name}: ${control.stderr}`);
      const chown = await run(cli, ['--cap-drop', 'chown'], 'touch /f && chown 1000 /f');
      assert.notEqual(chown.code, 0, `${name}: chown without CAP_CHOWN`);
      assert.match(chown.stderr, /Operation not permitted/, name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('setuid binaries elevate by default and not with no-new-privileges', async () => {
  for (const [name, cli] of engines()) {
    const su = await run(cli, ['-u', '1000'], 'su -c "id -u" root');
    assert.equal(su.code, 0, `${name}: ${su.stderr}`);
    assert.equal(su.stdout.trim(), '0', `${name}: su works`);
    for (const opt of ['no-new-privileges', 'no-new-privileges:true']) {
      const nnp = await run(cli, ['-u', '1000', '--security-opt', opt], 'su -c "id -u" root');
      assert.notEqual(nnp.code, 0, `${name}: su must not elevate with ${opt}`);
      assert.notEqual(nnp.stdout.trim(), '0');
      assert.match(nnp.stderr, /must be suid/, `${name}: ${nnp.stderr}`);
    }
    const status = await run(cli, ['--security-opt', 'no-new-privileges=true'], 'grep NoNewPrivs /proc/self/status');
    assert.match(status.stdout, /NoNewPrivs:\s+1/);
  }
});

test("masked and read-only paths as Docker's defaults", async () => {
  for (const [name, cli] of engines()) {
    const r = await run(
      cli,
      [],
      'wc -c < /proc/keys; ls /sys/firmware | wc -l; echo h > /proc/sysrq-trigger && echo wrote; touch /proc/sys/kernel/x 2>/dev/null || echo ro',
    );
    assert.deepEqual(r.stdout.trim().split('\n'), ['0', '0', 'ro'], `${name}: ${r.stdout} ${r.stderr}`);
  }
});

test('privileged: every capability the engine holds, no seccomp, no masked paths, host devices', async () => {
  const bnd = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
  // Docker 20.10 cannot start privileged containers on a host whose bounding set lacks a capability
  // ("unable to apply caps"); this one may, so only the bundled engine is probed here.
  const r = await run(
    (a) => t.cli(a),
    ['--privileged'],
    'grep -E "^(CapEff|Seccomp):" /proc/self/status; wc -c < /proc/keys; test -e /dev/loop-control && echo loop',
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`CapEff:\\s+${bnd}`));
  assert.match(r.stdout, /Seccomp:\s+0/);
  if (existsSync('/dev/loop-control')) assert.match(r.stdout, /loop/, 'host devices');
});

test('create refuses what Docker refuses: relative bind sources, unknown capabilities and security options', async () => {
  const clients: [string, Docker][] = [
    ['bundled', t.docker],
    ...(dockerOk ? [['docker', new Docker({ socketPath: '/var/run/docker.sock' })] as [string, Docker]] : []),
  ];
  for (const [name, docker] of clients) {
    const refused = async (hc: Record<string, unknown>, message: RegExp, statuses = [400]) => {
      const err = await docker.createContainer({ Image: IMAGE, Cmd: ['true'], HostConfig: hc }).then(
        async (c) => {
          await c.remove();
          return undefined;
        },
        (e) => e,
      );
      assert.ok(err, `${name}: ${JSON.stringify(hc)} must be refused`);
      assert.ok(statuses.includes(err.statusCode), `${name}: status ${err.statusCode}`);
      assert.match(err.json?.message ?? err.message, message);
    };
    await refused(
      { Mounts: [{ Type: 'bind', Source: 'relative/dir', Target: '/x' }] },
      /invalid mount config for type "bind": invalid mount path: 'relative\/dir' mount path must be absolute/,
    );
    await refused({ Binds: ['./relative:/x'] }, /includes invalid characters for a local volume name/);
    await refused({ CapAdd: ['NOT_A_CAP'] }, /invalid CapAdd: unknown capability: "CAP_NOT_A_CAP"/);
    // Docker 20.10 answers these with 500; the bundled engine with 400
    await refused({ SecurityOpt: ['foo=bar'] }, /invalid --security-opt 2: "foo=bar"/, name === 'docker' ? [400, 500] : [400]);
    await refused({ SecurityOpt: ['no-new-privileges=maybe'] }, /invalid --security-opt 2/, name === 'docker' ? [400, 500] : [400]);
    const accepted = await docker.createContainer({
      Image: IMAGE,
      Cmd: ['true'],
      HostConfig: { SecurityOpt: ['label=disable', 'apparmor=unconfined', 'label:user:x'] },
    });
    await accepted.remove();
  }
});

test('compose: security_opt (a seccomp profile file relative to the project, no-new-privileges, systempaths), cap_add and cap_drop reach the engine', async () => {
  const dir = mkdtempSync('/tmp/tsc-sec-compose-');
  mkdirSync(path.join(dir, 'profiles'));
  writeFileSync(
    path.join(dir, 'profiles', 'no-mkdir.json'),
    JSON.stringify(
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
      },
      null,
      2,
    ),
  );
  writeFileSync(
    path.join(dir, 'compose.yaml'),
    `
x-base: &base
  image: ${IMAGE}
  pull_policy: never
  stop_signal: SIGKILL
  command: ["sleep", "3600"]
services:
  confined:
    <<: *base
    security_opt: ["seccomp=profiles/no-mkdir.json", "no-new-privileges:true"]
    cap_drop: [ALL]
    cap_add: [kill]
  open:
    <<: *base
    security_opt: [seccomp=unconfined, systempaths=unconfined]
    cap_add: [SYS_ADMIN]
`,
  );
  const saved = { ...process.env };
  try {
    for (const kind of ['bundled' as const, ...(dockerOk ? ['docker' as const] : [])]) {
      if (kind === 'bundled')
        Object.assign(process.env, {
          TSCOMPOSE_ENGINE: 'bundled',
          TSCOMPOSE_ENGINE_SOCKET: t.socket,
          TSCOMPOSE_STATE_ROOT: path.join(t.root, 'state'),
        });
      else Object.assign(process.env, { TSCOMPOSE_ENGINE: 'docker' });
      delete process.env.DOCKER_HOST;
      await using env = await loadEnvironment({ cwd: dir, engine: kind });
      await env.up();
      const confined = env.container('confined');
      const mk = await confined.exec(['mkdir', '/nope']);
      assert.notEqual(mk.exitCode, 0, `${kind}: the profile from the file applies`);
      const st = await confined.exec(['grep', '-E', '^(CapEff|NoNewPrivs):', '/proc/self/status']);
      assert.match(st.stdout, /CapEff:\s+0000000000000020/, `${kind}: only CAP_KILL: ${st.stdout}`);
      assert.match(st.stdout, /NoNewPrivs:\s+1/, `${kind}: no-new-privileges`);
      const open = env.container('open');
      const ns = await open.exec(['sh', '-c', 'unshare -Urm true && echo ok; wc -c < /proc/timer_list']);
      const [ok, size] = ns.stdout.trim().split('\n');
      assert.equal(ok, 'ok', `${kind}: ${ns.stderr}`);
      assert.ok(Number(size) > 0, `${kind}: /proc/timer_list not masked with systempaths=unconfined`);
    }
  } finally {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
