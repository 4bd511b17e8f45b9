// The engine's pure parts: OCI spec rules, Docker's create semantics, user lookup, log streaming, restart back-off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { buildOciSpec, buildRlimits, effectiveCapabilities, DOCKER_DEFAULT_CAPS } from '../../../src/engine/runtime/spec.js';
import { hostRlimits } from '../../../src/engine/runtime/rlimits.js';
import { containerUserTables, resolveUser, userTablesAt, userTablesInLayers } from '../../../src/engine/runtime/users.js';
import { effectiveConfig, mergeEnv, containerName } from '../../../src/engine/containers/create-config.js';
import { parseBind } from '../../../src/engine/containers/mounts.js';
import { frame, streamEntries, parseTimeParam } from '../../../src/engine/containers/logs.js';
import { restartDelayMs, shouldRestart } from '../../../src/engine/containers/restart-policy.js';
import { probeArgs } from '../../../src/engine/containers/health.js';
import type { ContainerRecord } from '../../../src/engine/containers/record.js';

test('capabilities: Docker defaults, add, drop, ALL, privileged', () => {
  assert.deepEqual(effectiveCapabilities(), DOCKER_DEFAULT_CAPS);
  const caps = effectiveCapabilities(['NET_ADMIN'], ['chown']);
  assert.ok(caps.includes('CAP_NET_ADMIN') && !caps.includes('CAP_CHOWN'));
  assert.deepEqual(effectiveCapabilities(['KILL'], ['ALL']), ['CAP_KILL']);
  assert.ok(effectiveCapabilities([], [], true).includes('CAP_SYS_ADMIN'));
});

test('rlimits never exceed the host hard limits', () => {
  const hard = hostRlimits().RLIMIT_NOFILE!.hard;
  const nofile = buildRlimits([{ Name: 'nofile', Soft: 10 ** 9, Hard: 10 ** 9 }]).find((r) => r.type === 'RLIMIT_NOFILE')!;
  assert.equal(nofile.hard, Math.min(hard, 10 ** 9));
  assert.ok(nofile.soft <= nofile.hard);
});

test('OCI spec: namespaces, masked paths, resources, network modes', () => {
  const spec = buildOciSpec({
    rootfs: '/r',
    args: ['true'],
    env: [],
    uid: 0,
    gid: 0,
    network: { kind: 'new' },
    resources: { memory: 64 << 20, nanoCpus: 5e8, pidsLimit: 20 },
  }) as any;
  assert.deepEqual(spec.linux.namespaces.map((n: { type: string }) => n.type).sort(), ['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
  assert.ok(spec.linux.maskedPaths.includes('/proc/kcore'));
  assert.deepEqual(spec.linux.resources.memory, { limit: 64 << 20, swap: 128 << 20 });
  assert.deepEqual(spec.linux.resources.cpu, { period: 100000, quota: 50000 });
  assert.deepEqual(spec.linux.resources.pids, { limit: 20 });
  assert.equal(spec.process.noNewPrivileges, false, 'Docker default: setuid binaries work');
  assert.equal(spec.linux.seccomp.defaultAction, 'SCMP_ACT_ERRNO', 'an allow-list');
  assert.ok(!spec.linux.seccomp.syscalls.some((r: { names: string[] }) => r.names.includes('keyctl')));
  assert.ok(spec.mounts.some((m: { destination: string; options: string[] }) => m.destination === '/sys' && m.options.includes('ro')));
  const host = buildOciSpec({ rootfs: '/r', args: ['true'], env: [], uid: 0, gid: 0, network: { kind: 'host' } }) as any;
  assert.ok(!host.linux.namespaces.some((n: { type: string }) => n.type === 'network'));
});

test('create semantics: entrypoint/cmd combination, env merge, defaults', () => {
  const image = { Entrypoint: ['/entry'], Cmd: ['default'], Env: ['PATH=/bin', 'A=image'], User: 'app', WorkingDir: '/w' };
  assert.deepEqual(pick(effectiveConfig({ Image: 'x' }, image, 'id')), ['/entry', ['default']]);
  assert.deepEqual(pick(effectiveConfig({ Image: 'x', Cmd: ['mine'] }, image, 'id')), ['/entry', ['mine']]);
  assert.deepEqual(
    pick(effectiveConfig({ Image: 'x', Entrypoint: ['/other'] }, image, 'id')),
    ['/other', []],
    'a new entrypoint drops the image CMD',
  );
  assert.deepEqual(pick(effectiveConfig({ Image: 'x', Entrypoint: [''], Cmd: ['ls'] }, image, 'id')), ['ls', []]);
  const c = effectiveConfig({ Image: 'x', Env: ['A=mine', 'B=2'] }, image, 'abcdef0123456789').config;
  assert.deepEqual(c.Env, ['PATH=/bin', 'A=mine', 'B=2']);
  assert.equal(c.User, 'app');
  assert.equal(c.WorkingDir, '/w');
  assert.equal(c.Hostname, 'abcdef012345');
  assert.throws(() => effectiveConfig({ Image: 'x' }, {}, 'id'), /No command specified/);
  assert.deepEqual(mergeEnv(['X=1'], ['X=2', 'Y']), ['X=2', 'Y']);
  assert.throws(() => containerName('bad name'), /Invalid container name/);
  assert.deepEqual(parseBind('/h:/c:ro'), {
    Type: 'bind',
    Source: '/h',
    Target: '/c',
    ReadOnly: true,
    BindOptions: { CreateMountpoint: true },
  });
  assert.equal(parseBind('vol:/c').Type, 'volume');
});

const pick = (r: { path: string; args: string[] }) => [r.path, r.args];

test('users resolve by name and id through the image passwd and group files', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tsc-eng-users-'));
  try {
    mkdirSync(path.join(root, 'etc'));
    writeFileSync(path.join(root, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\nweb:x:33:33::/var/www:/bin/sh\n');
    writeFileSync(path.join(root, 'etc', 'group'), 'root:x:0:\nweb:x:33:\nlogs:x:4:web\n');
    const tables = userTablesAt(root);
    assert.deepEqual(resolveUser(tables, 'web'), { uid: 33, gid: 33, additionalGids: [4], home: '/var/www' });
    assert.equal(resolveUser(tables, 'web:logs').gid, 4);
    assert.deepEqual(resolveUser(tables, '1234'), { uid: 1234, gid: 0, additionalGids: [], home: '/' });
    assert.throws(() => resolveUser(tables, 'nobody-here'), /unable to find user/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('users resolve through a layer stack without mounting it: upper layers win, whiteouts hide, symlinks are followed inside', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tsc-eng-layers-'));
  try {
    const [base, mid, upper] = ['base', 'mid', 'upper'].map((d) => path.join(root, d));
    for (const d of [base, mid, upper]) mkdirSync(path.join(d, 'etc'), { recursive: true });
    writeFileSync(path.join(base, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\nold:x:5:5::/old:/bin/sh\n');
    writeFileSync(path.join(base, 'etc', 'group'), 'root:x:0:\nstaff:x:50:app\n');
    mkdirSync(path.join(mid, 'usr', 'lib'), { recursive: true });
    writeFileSync(path.join(mid, 'usr', 'lib', 'passwd'), 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
    symlinkSync('../usr/lib/passwd', path.join(mid, 'etc', 'passwd'));
    // the container deleted /etc/group: an overlayfs whiteout in its upper dir
    assert.equal(spawnSync('mknod', [path.join(upper, 'etc', 'group'), 'c', '0', '0']).status, 0);
    const tables = userTablesInLayers([base, mid, upper]);
    assert.equal(tables.group, '');
    assert.deepEqual(resolveUser(tables, 'app'), { uid: 1000, gid: 1000, additionalGids: [], home: '/home/app' });
    assert.throws(() => resolveUser(tables, 'old'), /unable to find user/);
    assert.equal(resolveUser(userTablesInLayers([base]), 'old:staff').gid, 50, 'a lower layer alone still has the group');
    // a container whose upper dir has nothing under /etc uses its image's tables; one that changed /etc, its own
    const fresh = path.join(root, 'fresh-upper');
    mkdirSync(fresh);
    assert.equal(resolveUser(containerUserTables([base, mid], fresh), 'app').uid, 1000);
    assert.equal(containerUserTables([base, mid, upper].slice(0, 2), upper).group, '', "the upper dir's whiteout of /etc/group counts");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('log streaming: multiplexed frames, tail, since, timestamps', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-eng-logs-'));
  try {
    const file = path.join(dir, 'log');
    writeFileSync(
      file,
      [
        { log: 'one\n', stream: 'stdout', time: '2026-01-01T00:00:01.000Z' },
        { log: 'two\n', stream: 'stderr', time: '2026-01-01T00:00:02.000Z' },
        { log: 'three\n', stream: 'stdout', time: '2026-01-01T00:00:03.000Z' },
      ]
        .map((e) => JSON.stringify(e))
        .join('\n') + '\n{"log":"torn',
    );
    const collect = async (o: Partial<Parameters<typeof streamEntries>[0]>) => {
      const chunks: Buffer[] = [];
      await streamEntries({
        file,
        tty: true,
        stdout: true,
        stderr: true,
        write: (c) => {
          chunks.push(c);
        },
        isClosed: () => false,
        ...o,
      });
      return Buffer.concat(chunks).toString();
    };
    assert.equal(await collect({}), 'one\ntwo\nthree\n');
    assert.equal(await collect({ tail: 1 }), 'three\n');
    assert.equal(await collect({ stderr: false }), 'one\nthree\n');
    assert.equal(await collect({ sinceMs: parseTimeParam('1767225602') }), 'two\nthree\n');
    assert.match(await collect({ tail: 1, timestamps: true }), /^2026-01-01T00:00:03\.000000000Z three\n$/);
    assert.deepEqual([...frame('stderr', Buffer.from('hi'))], [2, 0, 0, 0, 0, 0, 0, 2, 104, 105]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('restart policies and back-off; healthcheck probe commands', () => {
  const rec = (name: string, max = 0, count = 0, manual = false) =>
    ({ hostConfig: { RestartPolicy: { Name: name, MaximumRetryCount: max } }, restartCount: count, manualStop: manual }) as Pick<
      ContainerRecord,
      'hostConfig' | 'restartCount' | 'manualStop'
    > as ContainerRecord;
  assert.equal(shouldRestart(rec('always'), 0), true);
  assert.equal(shouldRestart(rec('always', 0, 0, true), 0), false);
  assert.equal(shouldRestart(rec('on-failure'), 0), false);
  assert.equal(shouldRestart(rec('on-failure', 2, 1), 1), true);
  assert.equal(shouldRestart(rec('on-failure', 2, 2), 1), false);
  assert.equal(shouldRestart(rec('no'), 1), false);
  assert.ok(restartDelayMs(3, 100) > restartDelayMs(0, 100));
  assert.equal(restartDelayMs(5, 20_000), 100);
  assert.deepEqual(probeArgs(['CMD-SHELL', 'curl -f x']), ['/bin/sh', '-c', 'curl -f x']);
  assert.deepEqual(probeArgs(['CMD', 'true']), ['true']);
  assert.equal(probeArgs(['NONE']), undefined);
});

test('archive paths stay inside the container rootfs, through absolute symlinks and ..', async () => {
  const { containerPath } = await import('../../../src/engine/containers/archive.js');
  const { symlinkSync } = await import('node:fs');
  const root = mkdtempSync(path.join(os.tmpdir(), 'tsc-eng-chroot-'));
  try {
    mkdirSync(path.join(root, 'etc'));
    symlinkSync('/etc', path.join(root, 'data'));
    symlinkSync('../../..', path.join(root, 'etc', 'up'));
    assert.equal(await containerPath(root, '/data/passwd'), path.join(root, 'etc', 'passwd'));
    assert.equal(await containerPath(root, '/../../etc/shadow'), path.join(root, 'etc', 'shadow'));
    assert.equal(await containerPath(root, '/etc/up/etc/hosts'), path.join(root, 'etc', 'hosts'));
    assert.equal(await containerPath(root, '/data'), path.join(root, 'data'), 'the last component is the link itself');
    assert.equal(await containerPath(root, '/data/'), path.join(root, 'etc'), 'a trailing slash follows it, inside the root');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('OCI spec: cpu quota and period, cpuset; --cpus wins over a quota; the root overlay only when the runtime mounts it', () => {
  const base = { rootfs: '/r', args: ['true'], env: [] as string[], uid: 0, gid: 0, network: { kind: 'new' as const } };
  const spec = buildOciSpec({
    ...base,
    resources: { cpuQuota: 20000, cpuPeriod: 50000, cpuShares: 512, cpusetCpus: '0-1', cpusetMems: '0' },
  }) as any;
  assert.deepEqual(spec.linux.resources.cpu, { period: 50000, quota: 20000, shares: 512, cpus: '0-1', mems: '0' });
  const both = buildOciSpec({ ...base, resources: { nanoCpus: 5e8, cpuQuota: 20000, cpuPeriod: 50000 } }) as any;
  assert.deepEqual(both.linux.resources.cpu, { period: 100000, quota: 50000 });
  const overlay = buildOciSpec({ ...base, rootOverlay: 'lowerdir=/l,upperdir=/u,workdir=/w' }) as any;
  assert.deepEqual(overlay.mounts[0], {
    destination: '/',
    type: 'overlay',
    source: 'overlay',
    options: ['lowerdir=/l', 'upperdir=/u', 'workdir=/w'],
  });
  assert.ok(!(buildOciSpec(base) as any).mounts.some((m: { destination: string }) => m.destination === '/'));
});
