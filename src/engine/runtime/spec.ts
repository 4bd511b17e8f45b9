// Builds an OCI runtime spec (config.json) the way Docker does for a Linux container:
// namespaces, Docker's default capabilities, Docker's default seccomp profile (profiles/seccomp),
// masked/read-only /proc and /sys paths, /dev, /sys read-only, rlimits clamped to the host's hard
// limits, cgroup resources; privileged containers get all capabilities and host devices, no seccomp
// and no masked paths.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { invalid } from '../errors.js';
import { hostRlimits } from './rlimits.js';
import { customSeccomp, defaultSeccomp, type OciSeccomp } from './seccomp.js';

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

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
  /** Docker's DeviceCgroupRules ("c 7:128 rwm", "b *:* m"): allowed on top of the default devices */
  deviceCgroupRules?: string[];
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
  /** the terminal's window size at start */
  consoleSize?: { height: number; width: number };
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
  /** Docker's default is off: setuid binaries in images work; capabilities and seccomp are the fence */
  noNewPrivileges?: boolean;
  /** the default profile unless "unconfined" or a custom profile's JSON (ignored when privileged) */
  seccomp?: { kind: 'default' } | { kind: 'unconfined' } | { kind: 'custom'; profile: string };
  /** HostConfig.MaskedPaths / ReadonlyPaths when set (an empty list turns them off: systempaths=unconfined) */
  maskedPaths?: string[] | null;
  readonlyPaths?: string[] | null;
}

export const DOCKER_DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const ALL_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
]; // indexed by capability number

export const DEFAULT_MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

let known: string[] | undefined;
let held: string[] | undefined;

/** The capabilities this kernel knows (Docker's GetAllCapabilities: up to cap_last_cap). */
export function knownCapabilities(): string[] {
  if (!known) {
    let last = ALL_CAPS.length - 1;
    try {
      last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
    } catch {
      /* not Linux: all names */
    }
    known = ALL_CAPS.slice(0, last + 1);
  }
  return known;
}

/** Of those, the ones the engine's own bounding set holds: a container cannot be given more (on a host
 *  whose init dropped one, Docker's privileged containers fail with "unable to apply caps"). */
function heldCapabilities(): string[] {
  if (!held) {
    let mask = -1n;
    try {
      const line = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
      if (line) mask = BigInt(`0x${line[1]}`);
    } catch {
      /* keep all */
    }
    held = knownCapabilities().filter((_, i) => (mask >> BigInt(i)) & 1n);
  }
  return held;
}

const capName = (c: string) => {
  const upper = c.toUpperCase();
  return upper === 'ALL' || upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
};

/** Docker's TweakCapabilities: privileged or CapAdd "ALL" → every capability (minus CapDrop for the
 *  latter); CapDrop "ALL" → exactly CapAdd; otherwise the default set minus CapDrop, plus CapAdd (so a
 *  capability both added and dropped is kept). Names are case-insensitive, CAP_ optional. Capabilities
 *  the engine itself does not hold are left out. */
export function effectiveCapabilities(capAdd: string[] = [], capDrop: string[] = [], privileged = false): string[] {
  const all = heldCapabilities();
  if (privileged) return [...all];
  const add = capAdd.map(capName);
  const drop = capDrop.map(capName);
  let caps: string[];
  if (add.includes('ALL')) caps = knownCapabilities().filter((c) => !drop.includes(c));
  else if (drop.includes('ALL')) caps = add;
  else caps = [...DOCKER_DEFAULT_CAPS.filter((c) => !drop.includes(c)), ...add];
  return [...new Set(caps)].filter((c) => all.includes(c));
}

/** The OCI seccomp section for a container with these (bounding) capabilities. */
export function seccompFor(choice: ContainerSpecOptions['seccomp'], caps: readonly string[], privileged = false): OciSeccomp | undefined {
  if (privileged || choice?.kind === 'unconfined') return undefined;
  if (choice?.kind === 'custom') return customSeccomp(choice.profile, caps);
  return defaultSeccomp(caps);
}

// Docker's HostDevices for privileged containers: every character and block device under /dev, except
// the console and what lives in pts, shm, fd, mqueue; read at each privileged start (devices come and go).
const SKIPPED_DEV_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);
function hostDevices(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIPPED_DEV_DIRS.has(e.name)) walk(p);
        continue;
      }
      if (p === '/dev/console' || !(e.isCharacterDevice() || e.isBlockDevice())) continue;
      let st;
      try {
        st = statSync(p, { bigint: true });
      } catch {
        continue;
      }
      const dev = st.rdev;
      const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n));
      const minor = Number((dev & 0xffn) | ((dev >> 12n) & 0xffffff00n));
      out.push({
        path: p,
        type: e.isCharacterDevice() ? 'c' : 'b',
        major,
        minor,
        fileMode: Number(st.mode & 0o777n),
        uid: Number(st.uid),
        gid: Number(st.gid),
      });
    }
  };
  walk('/dev');
  return out;
}

const RLIMIT_NAMES: Record<string, string> = {
  nofile: 'RLIMIT_NOFILE',
  nproc: 'RLIMIT_NPROC',
  core: 'RLIMIT_CORE',
  memlock: 'RLIMIT_MEMLOCK',
  stack: 'RLIMIT_STACK',
  cpu: 'RLIMIT_CPU',
  fsize: 'RLIMIT_FSIZE',
  data: 'RLIMIT_DATA',
  as: 'RLIMIT_AS',
  locks: 'RLIMIT_LOCKS',
  sigpending: 'RLIMIT_SIGPENDING',
  msgqueue: 'RLIMIT_MSGQUEUE',
  nice: 'RLIMIT_NICE',
  rtprio: 'RLIMIT_RTPRIO',
  rss: 'RLIMIT_RSS',
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

export function linuxResources(r: ResourceLimits = {}, privileged = false): Record<string, unknown> {
  const resources: Record<string, unknown> = {
    devices: privileged
      ? [{ allow: true, access: 'rwm' }]
      : [{ allow: false, access: 'rwm' }, ...DEFAULT_DEVICE_RULES, ...(r.deviceCgroupRules ?? []).map(deviceCgroupRule)],
  };
  if (r.memory && r.memory > 0) {
    const mem: Record<string, number> = { limit: r.memory };
    if (r.memorySwap !== undefined && r.memorySwap !== 0) mem.swap = r.memorySwap;
    else mem.swap = r.memory * 2; // Docker: swap defaults to twice the memory limit
    resources.memory = mem;
  }
  const cpu: Record<string, number | string> = {};
  if (r.nanoCpus && r.nanoCpus > 0) {
    cpu.period = CPU_PERIOD;
    cpu.quota = Math.round((r.nanoCpus / 1e9) * CPU_PERIOD);
  } else {
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

const DEVICE_CGROUP_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** One of Docker's DeviceCgroupRules as an OCI device rule; Docker refuses a malformed one when it starts the container. */
function deviceCgroupRule(rule: string): Record<string, unknown> {
  const m = DEVICE_CGROUP_RULE.exec(rule.trim());
  if (!m) throw invalid(`invalid device cgroup rule format: '${rule}'`);
  const [, type, major, minor, access] = m;
  // "*" is any number: the OCI rule leaves it out
  return {
    allow: true,
    type,
    ...(major === '*' ? {} : { major: Number(major) }),
    ...(minor === '*' ? {} : { minor: Number(minor) }),
    access,
  };
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
  const namespaces: { type: string; path?: string }[] = [
    { type: 'pid' },
    { type: 'ipc' },
    { type: 'uts' },
    { type: 'mount' },
    { type: 'cgroup' },
  ];
  if (o.network.kind === 'new') namespaces.push({ type: 'network' });
  if (o.network.kind === 'join') namespaces.push({ type: 'network', path: o.network.path });
  const shmSize = o.shmSize && o.shmSize > 0 ? o.shmSize : 64 * 1024 * 1024;
  const mounts: OciMount[] = [
    ...(o.rootOverlay ? [{ destination: '/', type: 'overlay', source: 'overlay', options: o.rootOverlay.split(',') }] : []),
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', o.privileged ? 'rw' : 'ro'] },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', o.privileged ? 'rw' : 'ro'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`] },
    ...(o.mounts ?? []),
  ];
  const spec: Record<string, unknown> = {
    ociVersion: '1.0.2',
    process: {
      terminal: o.terminal ?? false,
      ...(o.terminal && o.consoleSize ? { consoleSize: o.consoleSize } : {}),
      user: { uid: o.uid, gid: o.gid, ...(o.additionalGids?.length ? { additionalGids: o.additionalGids } : {}) },
      args: o.args,
      env: o.env,
      cwd: o.cwd || '/',
      // no inheritable capabilities (Docker ≥ 20.10.14, CVE-2022-24769)
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [] },
      rlimits: buildRlimits(o.ulimits),
      noNewPrivileges: o.noNewPrivileges ?? false,
    },
    root: { path: o.rootfs, readonly: o.readonlyRootfs ?? false },
    hostname: o.hostname ?? '',
    mounts,
    linux: {
      namespaces,
      resources: linuxResources(o.resources, o.privileged),
      ...(o.cgroupsPath ? { cgroupsPath: o.cgroupsPath } : {}),
      ...(o.sysctls && Object.keys(o.sysctls).length ? { sysctl: o.sysctls } : {}),
      ...(o.privileged
        ? { devices: hostDevices() }
        : {
            maskedPaths: o.maskedPaths ?? DEFAULT_MASKED_PATHS,
            readonlyPaths: o.readonlyPaths ?? DEFAULT_READONLY_PATHS,
          }),
    },
  };
  const seccomp = seccompFor(o.seccomp, caps, o.privileged);
  if (seccomp) (spec.linux as Record<string, unknown>).seccomp = seccomp;
  if (o.network.kind === 'host') (spec as { hostname: string }).hostname = '';
  return spec;
}
