// Docker's default seccomp profile (profiles/seccomp/default.json) turned into OCI seccomp sections,
// the security options of HostConfig, and Docker's capability arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultSeccomp,
  defaultSeccompProfile,
  parseSeccompProfile,
  toOciSeccomp,
  type OciSeccomp,
} from '../../../src/engine/runtime/seccomp.js';
import { buildOciSpec, DOCKER_DEFAULT_CAPS, DEFAULT_MASKED_PATHS, effectiveCapabilities } from '../../../src/engine/runtime/spec.js';
import { checkSecurityAtCreate, parseSecurityOpt } from '../../../src/engine/containers/security.js';
import { statusOf } from '../../../src/engine/api/http.js';

const X86 = { arch: 'amd64', kernel: '6.1.0-18-amd64' };
const allowed = (s: OciSeccomp, name: string) => s.syscalls!.filter((r) => r.names.includes(name));

test('default profile: an allow-list with EPERM by default, host architectures from archMap', () => {
  const s = toOciSeccomp(defaultSeccompProfile(), DOCKER_DEFAULT_CAPS, X86)!;
  assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(s.defaultErrnoRet, 1);
  assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.deepEqual(toOciSeccomp(defaultSeccompProfile(), [], { arch: 'arm64', kernel: '6.1' })!.architectures, [
    'SCMP_ARCH_AARCH64',
    'SCMP_ARCH_ARM',
  ]);
  for (const name of ['read', 'openat', 'execve', 'setuid', 'arch_prctl', 'chroot']) assert.ok(allowed(s, name).length, name);
  for (const name of [
    'unshare',
    'setns',
    'mount',
    'umount2',
    'keyctl',
    'bpf',
    'perf_event_open',
    'reboot',
    'init_module',
    'add_key',
    'userfaultfd',
  ]) {
    assert.equal(allowed(s, name).length, 0, `${name} not allowed without its capability`);
  }
  assert.ok(!s.syscalls!.some((r) => 'includes' in r || 'excludes' in r || 'comment' in r), 'only OCI fields');
});

test('clone: only without namespace flags (mask 0x7E020000) unless CAP_SYS_ADMIN; clone3 gets ENOSYS', () => {
  const s = toOciSeccomp(defaultSeccompProfile(), DOCKER_DEFAULT_CAPS, X86)!;
  assert.deepEqual(allowed(s, 'clone'), [
    { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, op: 'SCMP_CMP_MASKED_EQ' }] },
  ]);
  assert.deepEqual(allowed(s, 'clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
  const admin = toOciSeccomp(defaultSeccompProfile(), [...DOCKER_DEFAULT_CAPS, 'CAP_SYS_ADMIN'], X86)!;
  assert.ok(allowed(admin, 'unshare').length && allowed(admin, 'mount').length && allowed(admin, 'setns').length);
  assert.ok(
    allowed(admin, 'clone').every((r) => !r.args),
    'clone unconditionally',
  );
  assert.ok(allowed(admin, 'clone3').every((r) => r.action === 'SCMP_ACT_ALLOW'));
  const s390 = toOciSeccomp(defaultSeccompProfile(), DOCKER_DEFAULT_CAPS, { arch: 's390x', kernel: '6.1' })!;
  assert.equal(allowed(s390, 'clone')[0]!.args![0]!.index, 1, 's390 argument order');
});

test('conditional rules: caps, arches, minKernel, argument filters', () => {
  const s = toOciSeccomp(defaultSeccompProfile(), DOCKER_DEFAULT_CAPS, X86)!;
  assert.ok(allowed(s, 'ptrace').length, 'ptrace allowed on kernels >= 4.8');
  assert.equal(
    allowed(toOciSeccomp(defaultSeccompProfile(), DOCKER_DEFAULT_CAPS, { arch: 'amd64', kernel: '4.4.0' })!, 'ptrace').length,
    0,
  );
  assert.equal(allowed(s, 'set_tls').length, 0, 'arm only');
  assert.ok(allowed(toOciSeccomp(defaultSeccompProfile(), [], { arch: 'arm64', kernel: '6.1' })!, 'set_tls').length);
  const personality = allowed(s, 'personality').map((r) => r.args![0]!.value);
  assert.deepEqual(personality, [0, 8, 131072, 131080, 4294967295]);
  const families = allowed(s, 'socket').flatMap((r) => r.args!);
  assert.ok(!families.some((a) => a.value === 40 && a.op === 'SCMP_CMP_EQ'), 'no AF_VSOCK');
  assert.ok(families.some((a) => a.value === 12 && a.op === 'SCMP_CMP_LT'));
  const time = toOciSeccomp(defaultSeccompProfile(), [...DOCKER_DEFAULT_CAPS, 'CAP_SYS_TIME'], X86)!;
  assert.ok(allowed(time, 'settimeofday').length && !allowed(s, 'settimeofday').length);
});

test('the default conversion is cached per capability set', () => {
  assert.equal(defaultSeccomp(['CAP_KILL', 'CAP_CHOWN']), defaultSeccomp(['CAP_CHOWN', 'CAP_KILL']));
  assert.notEqual(defaultSeccomp(['CAP_KILL']), defaultSeccomp(['CAP_KILL', 'CAP_SYS_ADMIN']));
});

test("custom profiles: Docker's format and plain OCI; malformed ones rejected", () => {
  const p = parseSeccompProfile(
    JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'mkdir', action: 'SCMP_ACT_ERRNO' }] }),
  );
  assert.deepEqual(toOciSeccomp(p, [], X86), {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }],
  });
  assert.equal(toOciSeccomp(parseSeccompProfile('{}'), [], X86), undefined, 'an empty profile turns seccomp off');
  assert.throws(() => parseSeccompProfile('{bad'), /Decoding seccomp profile failed/);
  assert.throws(
    () =>
      parseSeccompProfile(
        JSON.stringify({ architectures: ['SCMP_ARCH_X86'], archMap: [{ architecture: 'SCMP_ARCH_X86', subArchitectures: null }] }),
      ),
    /both 'architectures' and 'archMap'/,
  );
});

test("security_opt: Docker's parsing and errors", () => {
  assert.deepEqual(parseSecurityOpt(null), { seccomp: { kind: 'default' }, noNewPrivileges: false, labels: [] });
  assert.equal(parseSecurityOpt(['no-new-privileges']).noNewPrivileges, true);
  assert.equal(parseSecurityOpt(['no-new-privileges:true']).noNewPrivileges, true);
  assert.equal(parseSecurityOpt(['no-new-privileges=false']).noNewPrivileges, false);
  assert.deepEqual(parseSecurityOpt(['seccomp=unconfined']).seccomp, { kind: 'unconfined' });
  assert.deepEqual(parseSecurityOpt(['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']).seccomp, {
    kind: 'custom',
    profile: '{"defaultAction":"SCMP_ACT_ALLOW"}',
  });
  assert.deepEqual(parseSecurityOpt(['label=disable', 'label:user:x', 'disable', 'apparmor=unconfined']).labels, [
    'disable',
    'user:x',
    'disable',
  ]);
  const status = (f: () => unknown) => {
    try {
      f();
      return 0;
    } catch (err) {
      return [statusOf(err), (err as Error).message];
    }
  };
  assert.deepEqual(
    status(() => parseSecurityOpt(['foo'])),
    [400, 'invalid --security-opt 1: "foo"'],
  );
  assert.deepEqual(
    status(() => parseSecurityOpt(['foo=bar'])),
    [400, 'invalid --security-opt 2: "foo=bar"'],
  );
  assert.deepEqual(
    status(() => parseSecurityOpt(['no-new-privileges:maybe'])),
    [400, 'invalid --security-opt 2: "no-new-privileges:maybe"'],
  );
  assert.equal((status(() => parseSecurityOpt(['seccomp={bad'])) as unknown[])[0], 400);
  assert.deepEqual(
    status(() => checkSecurityAtCreate({ CapAdd: ['foo'] })),
    [400, 'invalid CapAdd: unknown capability: "CAP_FOO"'],
  );
  assert.deepEqual(
    status(() => checkSecurityAtCreate({ Mounts: [{ Type: 'bind', Source: 'x', Target: '/x' }] })),
    [400, 'invalid mount config for type "bind": invalid mount path: \'x\' mount path must be absolute'],
  );
  assert.equal((status(() => checkSecurityAtCreate({ Binds: ['./x:/x'] })) as unknown[])[0], 400);
  assert.equal(
    status(() => checkSecurityAtCreate({ Binds: ['/abs:/x', 'named:/y'], CapAdd: ['net_admin', 'CAP_SYS_TIME', 'ALL'] })),
    0,
  );
});

test("capabilities: Docker's TweakCapabilities", () => {
  assert.deepEqual(effectiveCapabilities(), DOCKER_DEFAULT_CAPS);
  assert.ok(effectiveCapabilities(['net_admin'], ['NET_ADMIN']).includes('CAP_NET_ADMIN'), 'add wins over drop');
  assert.deepEqual(effectiveCapabilities(['chown'], ['all']), ['CAP_CHOWN']);
  const all = effectiveCapabilities(['ALL'], ['CAP_SYS_ADMIN']);
  assert.ok(all.includes('CAP_SYS_MODULE') && !all.includes('CAP_SYS_ADMIN'));
  assert.ok(!effectiveCapabilities(['kill'], ['chown', 'Cap_Kill']).includes('CAP_CHOWN'));
});

test('OCI spec: no_new_privileges off by default, no inheritable caps, privileged gets devices and no seccomp', () => {
  const base = { rootfs: '/r', args: ['true'], env: [], uid: 0, gid: 0, network: { kind: 'new' as const } };
  const spec = buildOciSpec(base) as any;
  assert.equal(spec.process.noNewPrivileges, false);
  assert.deepEqual(spec.process.capabilities.inheritable, []);
  assert.deepEqual(spec.linux.maskedPaths, DEFAULT_MASKED_PATHS);
  assert.ok(spec.linux.maskedPaths.includes('/sys/devices/virtual/powercap'));
  assert.ok(spec.linux.readonlyPaths.includes('/proc/sysrq-trigger'));
  assert.equal(spec.linux.seccomp.defaultErrnoRet, 1);
  const nnp = buildOciSpec({ ...base, noNewPrivileges: true, seccomp: { kind: 'unconfined' }, maskedPaths: [], readonlyPaths: [] }) as any;
  assert.equal(nnp.process.noNewPrivileges, true);
  assert.equal(nnp.linux.seccomp, undefined);
  assert.deepEqual([nnp.linux.maskedPaths, nnp.linux.readonlyPaths], [[], []]);
  const priv = buildOciSpec({ ...base, privileged: true }) as any;
  assert.equal(priv.linux.seccomp, undefined);
  assert.equal(priv.linux.maskedPaths, undefined);
  assert.deepEqual(priv.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
  assert.ok(
    priv.linux.devices.some(
      (d: { path: string; type: string; major: number; minor: number }) =>
        d.path === '/dev/null' && d.type === 'c' && d.major === 1 && d.minor === 3,
    ),
  );
  assert.ok(priv.process.capabilities.bounding.includes('CAP_SYS_ADMIN'));
});
