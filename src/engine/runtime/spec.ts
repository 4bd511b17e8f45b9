// Builds an OCI runtime spec (config.json) the way Docker does for a Linux container:
// namespaces, Docker's default capabilities, masked/read-only /proc paths, /dev, /sys read-only,
// rlimits clamped to the host's hard limits, cgroup resources and no_new_privileges.
import { hostRlimits } from './rlimits.js';

export interface OciMount { destination: string; type: string; source: string; options?: string[] }

export interface ResourceLimits {
  memory?: number; // bytes
  memorySwap?: number; // bytes, -1 = unlimited
  nanoCpus?: number;
  cpuShares?: number;
  cpuQuota?: number; // microseconds per cpuPeriod (Docker's CpuQuota/CpuPeriod; NanoCpus wins when both are set)
  cpuPeriod?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: number;
}

export type NetworkNamespace = { kind: 'new' } | { kind: 'host' } | { kind: 'join'; path: string };

export interface ContainerSpecOptions {
  rootfs: string;
  readonlyRootfs?: boolean;
  args: string[];
  env: string[];
  cwd?: string;
  uid: number;
  gid: number;
  additionalGids?: number[];
  terminal?: boolean;
  hostname?: string;
  network: NetworkNamespace;
  /** overlayfs options (lowerdir, upperdir, workdir): the runtime mounts the root filesystem in the
   *  container's own mount namespace over the empty `rootfs` directory; nothing is mounted on the host */
  rootOverlay?: string;
  mounts?: OciMount[];
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  resources?: ResourceLimits;
  cgroupsPath?: string;
  sysctls?: Record<string, string>;
  ulimits?: { Name: string; Soft: number; Hard: number }[];
  shmSize?: number;
  noNewPrivileges?: boolean;
}

export const DOCKER_DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const ALL_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
];

const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

// A deny-list in the spirit of Docker's default seccomp profile: kernel keyring, module loading, kexec,
// reboot, swap, raw I/O ports, bpf, perf and userfaultfd stay out of reach of unprivileged containers.
const DENIED_SYSCALLS = [
  'add_key', 'keyctl', 'request_key', 'init_module', 'finit_module', 'delete_module', 'kexec_load', 'kexec_file_load',
  'reboot', 'swapon', 'swapoff', 'iopl', 'ioperm', 'bpf', 'perf_event_open', 'userfaultfd', 'open_by_handle_at',
  'lookup_dcookie', 'acct', 'nfsservctl', 'vm86', 'vm86old', 'uselib', 'quotactl', 'settimeofday', 'clock_settime', 'stime',
];

// The host's native architecture and the ones its kernel also runs natively, as in Docker's profile.
const SECCOMP_ARCHITECTURES: Record<string, string[]> = {
  x64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  arm64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
};

export const defaultSeccomp = () => ({
  defaultAction: 'SCMP_ACT_ALLOW',
  architectures: SECCOMP_ARCHITECTURES[process.arch] ?? [...SECCOMP_ARCHITECTURES.x64!, ...SECCOMP_ARCHITECTURES.arm64!],
  syscalls: [{ names: DENIED_SYSCALLS, action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
});

const capName = (c: string) => {
  const upper = c.toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
};

/** Docker's rule: start from the default set (or all with "ALL"), add CapAdd, remove CapDrop. */
export function effectiveCapabilities(capAdd: string[] = [], capDrop: string[] = [], privileged = false): string[] {
  if (privileged) return [...ALL_CAPS];
  const add = capAdd.map(capName);
  const drop = capDrop.map(capName);
  let caps = add.includes('CAP_ALL') ? [...ALL_CAPS] : [...DOCKER_DEFAULT_CAPS, ...add];
  if (drop.includes('CAP_ALL')) caps = add.filter((c) => c !== 'CAP_ALL');
  else caps = caps.filter((c) => !drop.includes(c));
  return [...new Set(caps)].filter((c) => ALL_CAPS.includes(c));
}

const RLIMIT_NAMES: Record<string, string> = {
  nofile: 'RLIMIT_NOFILE', nproc: 'RLIMIT_NPROC', core: 'RLIMIT_CORE', memlock: 'RLIMIT_MEMLOCK', stack: 'RLIMIT_STACK',
  cpu: 'RLIMIT_CPU', fsize: 'RLIMIT_FSIZE', data: 'RLIMIT_DATA', as: 'RLIMIT_AS', locks: 'RLIMIT_LOCKS',
  sigpending: 'RLIMIT_SIGPENDING', msgqueue: 'RLIMIT_MSGQUEUE', nice: 'RLIMIT_NICE', rtprio: 'RLIMIT_RTPRIO', rss: 'RLIMIT_RSS',
};

export function buildRlimits(ulimits: { Name: string; Soft: number; Hard: number }[] = []): { type: string; hard: number; soft: number }[] {
  const host = hostRlimits();
  const clamp = (type: string, v: number) => {
    const max = host[type]?.hard;
    return max === undefined || v < 0 ? (max ?? v) : Math.min(v, max);
  };
  const nofileHard = host.RLIMIT_NOFILE?.hard ?? 1024;
  const out = new Map<string, { type: string; hard: number; soft: number }>();
  out.set('RLIMIT_NOFILE', { type: 'RLIMIT_NOFILE', hard: Math.min(nofileHard, 1048576), soft: Math.min(nofileHard, 1048576) });
  for (const u of ulimits) {
    const type = RLIMIT_NAMES[u.Name.toLowerCase()];
    if (!type) continue;
    const hard = clamp(type, u.Hard);
    out.set(type, { type, hard, soft: Math.min(clamp(type, u.Soft), hard) });
  }
  return [...out.values()];
}

const CPU_PERIOD = 100000;

function linuxResources(r: ResourceLimits = {}): Record<string, unknown> {
  const resources: Record<string, unknown> = {
    devices: [{ allow: false, access: 'rwm' }, ...DEFAULT_DEVICE_RULES],
  };
  if (r.memory && r.memory > 0) {
    const mem: Record<string, number> = { limit: r.memory };
    if (r.memorySwap !== undefined && r.memorySwap !== 0) mem.swap = r.memorySwap;
    else mem.swap = r.memory * 2; // Docker: swap defaults to twice the memory limit
    resources.memory = mem;
  }
  const cpu: Record<string, number | string> = {};
  if (r.nanoCpus && r.nanoCpus > 0) { cpu.period = CPU_PERIOD; cpu.quota = Math.round((r.nanoCpus / 1e9) * CPU_PERIOD); }
  else {
    if (r.cpuPeriod && r.cpuPeriod > 0) cpu.period = r.cpuPeriod;
    if (r.cpuQuota && r.cpuQuota > 0) cpu.quota = r.cpuQuota;
  }
  if (r.cpuShares && r.cpuShares > 0) cpu.shares = r.cpuShares;
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length) resources.cpu = cpu;
  if (r.pidsLimit && r.pidsLimit > 0) resources.pids = { limit: r.pidsLimit };
  return resources;
}

// Character devices every container may use (null, zero, full, tty, random, urandom, ptmx, pts).
const DEFAULT_DEVICE_RULES = [
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
  { allow: true, type: 'c', major: 136, access: 'rwm' },
];

export function buildOciSpec(o: ContainerSpecOptions): Record<string, unknown> {
  const caps = effectiveCapabilities(o.capAdd, o.capDrop, o.privileged);
  const namespaces: { type: string; path?: string }[] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }];
  if (o.network.kind === 'new') namespaces.push({ type: 'network' });
  if (o.network.kind === 'join') namespaces.push({ type: 'network', path: o.network.path });
  const shmSize = o.shmSize && o.shmSize > 0 ? o.shmSize : 64 * 1024 * 1024;
  const mounts: OciMount[] = [
    ...(o.rootOverlay ? [{ destination: '/', type: 'overlay', source: 'overlay', options: o.rootOverlay.split(',') }] : []),
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', o.privileged ? 'rw' : 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', o.privileged ? 'rw' : 'ro'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`] },
    ...(o.mounts ?? []),
  ];
  const spec: Record<string, unknown> = {
    ociVersion: '1.0.2',
    process: {
      terminal: o.terminal ?? false,
      user: { uid: o.uid, gid: o.gid, ...(o.additionalGids?.length ? { additionalGids: o.additionalGids } : {}) },
      args: o.args,
      env: o.env,
      cwd: o.cwd || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: caps },
      rlimits: buildRlimits(o.ulimits),
      noNewPrivileges: o.noNewPrivileges ?? !o.privileged,
    },
    root: { path: o.rootfs, readonly: o.readonlyRootfs ?? false },
    hostname: o.hostname ?? '',
    mounts,
    linux: {
      namespaces,
      resources: linuxResources(o.resources),
      ...(o.cgroupsPath ? { cgroupsPath: o.cgroupsPath } : {}),
      ...(o.sysctls && Object.keys(o.sysctls).length ? { sysctl: o.sysctls } : {}),
      ...(o.privileged ? {} : { maskedPaths: MASKED_PATHS, readonlyPaths: READONLY_PATHS, seccomp: defaultSeccomp() }),
    },
  };
  if (o.network.kind === 'host') (spec as { hostname: string }).hostname = '';
  return spec;
}
