// Docker's seccomp profiles turned into the OCI `linux.seccomp` section, as Docker does it
// (moby profiles/seccomp setupSeccomp): the host architecture's entry of `archMap` gives the
// architectures, and a syscall rule is kept only when all of its `includes` (arches, caps, minKernel)
// hold and none of its `excludes` do, the caps being the container's bounding set. The default profile
// is profiles/seccomp/default.json (Docker's own), read and parsed once; its conversion is cached per
// capability set, so a container start costs a map lookup.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}
export interface OciSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[];
}
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: OciSyscall[];
}
interface Filter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}
interface ProfileSyscall extends OciSyscall {
  name?: string;
  comment?: string;
  includes?: Filter;
  excludes?: Filter;
}
/** Docker's profile format: the OCI fields plus archMap and conditional syscall rules. */
export interface DockerSeccompProfile extends Omit<OciSeccomp, 'syscalls'> {
  archMap?: { architecture: string; subArchitectures: string[] | null }[];
  syscalls?: ProfileSyscall[];
}

export const DEFAULT_PROFILE_URL = new URL('../../../profiles/seccomp/default.json', import.meta.url);

// Node's process.arch → the libseccomp names the profile's `arches` use (Go's GOARCH → native)
const NATIVE_ARCH: Record<string, string> = {
  x64: 'amd64',
  ia32: 'x86',
  arm: 'arm',
  arm64: 'arm64',
  loong64: 'loongarch64',
  mips: 'mips',
  mipsel: 'mipsel',
  ppc: 'ppc',
  ppc64: os.endianness() === 'LE' ? 'ppc64le' : 'ppc64',
  riscv64: 'riscv64',
  s390: 's390',
  s390x: 's390x',
};
// native name → the SCMP_ARCH_ constant of archMap
const SECCOMP_ARCH: Record<string, string> = {
  x86: 'SCMP_ARCH_X86',
  amd64: 'SCMP_ARCH_X86_64',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  loongarch64: 'SCMP_ARCH_LOONGARCH64',
  mips64: 'SCMP_ARCH_MIPS64',
  mipsel: 'SCMP_ARCH_MIPSEL',
  ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  riscv64: 'SCMP_ARCH_RISCV64',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
};

export const hostSeccompArch = (): string => NATIVE_ARCH[process.arch] ?? process.arch;

/** "6.1.0-18-amd64" → [6, 1]; the profile's minKernel compares major.minor (and patch when given). */
function kernelAtLeast(min: string, release: string): boolean {
  const parse = (v: string) => (/^(\d+)\.(\d+)(?:\.(\d+))?/.exec(v) ?? []).slice(1).map((n) => Number(n ?? 0));
  const want = parse(min);
  if (want.length === 0) throw new Error(`invalid kernel version in seccomp profile: ${JSON.stringify(min)}`);
  const have = parse(release);
  for (let i = 0; i < 3; i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** A profile from JSON text (the default file, or the content of `seccomp=<json>`), checked the way
 *  Docker decodes it; throws with Docker's message on malformed input. */
export function parseSeccompProfile(text: string): DockerSeccompProfile {
  let p: unknown;
  try {
    p = JSON.parse(text);
  } catch (err) {
    throw new Error(`Decoding seccomp profile failed: ${(err as Error).message}`);
  }
  if (!p || typeof p !== 'object' || Array.isArray(p)) throw new Error('Decoding seccomp profile failed: not a JSON object');
  const profile = p as DockerSeccompProfile;
  if (profile.syscalls !== undefined && profile.syscalls !== null && !Array.isArray(profile.syscalls)) {
    throw new Error('Decoding seccomp profile failed: syscalls must be an array');
  }
  if (profile.architectures?.length && profile.archMap?.length) {
    throw new Error("both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  for (const call of profile.syscalls ?? []) {
    if (call.name && call.names?.length)
      throw new Error("both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'");
  }
  return profile;
}

export interface SeccompHost {
  arch: string;
  kernel: string;
}
const thisHost = (): SeccompHost => ({ arch: hostSeccompArch(), kernel: os.release() });

/** The OCI seccomp section of `profile` for a container whose bounding capabilities are `caps`;
 *  undefined when the profile turns seccomp off (no default action and no rules). */
export function toOciSeccomp(
  profile: DockerSeccompProfile,
  caps: readonly string[],
  host: SeccompHost = thisHost(),
): OciSeccomp | undefined {
  if (!profile.defaultAction && !profile.syscalls?.length) return undefined;
  const out: OciSeccomp = { defaultAction: profile.defaultAction };
  for (const k of ['defaultErrnoRet', 'architectures', 'flags', 'listenerPath', 'listenerMetadata'] as const) {
    if (profile[k] !== undefined && profile[k] !== null) (out as unknown as Record<string, unknown>)[k] = profile[k];
  }
  const { archMap, syscalls } = profile;
  const native = SECCOMP_ARCH[host.arch];
  const entry = native ? archMap?.find((a) => a.architecture === native) : undefined;
  if (entry) out.architectures = [...(profile.architectures ?? []), entry.architecture, ...(entry.subArchitectures ?? [])];
  const capSet = new Set(caps);
  const kept: OciSyscall[] = [];
  for (const call of syscalls ?? []) {
    const ex = call.excludes;
    if (ex) {
      if (ex.arches?.includes(host.arch)) continue;
      if (ex.caps?.some((c) => capSet.has(c))) continue;
      if (ex.minKernel && kernelAtLeast(ex.minKernel, host.kernel)) continue;
    }
    const inc = call.includes;
    if (inc) {
      if (inc.arches?.length && !inc.arches.includes(host.arch)) continue;
      if (inc.caps?.length && !inc.caps.every((c) => capSet.has(c))) continue;
      if (inc.minKernel && !kernelAtLeast(inc.minKernel, host.kernel)) continue;
    }
    const names = call.name ? [call.name] : (call.names ?? []);
    kept.push({
      names,
      action: call.action,
      ...(call.errnoRet !== undefined && call.errnoRet !== null ? { errnoRet: call.errnoRet } : {}),
      ...(call.args?.length ? { args: call.args } : {}),
    });
  }
  out.syscalls = kept;
  return out;
}

let defaultProfile: DockerSeccompProfile | undefined;
const defaultByCaps = new Map<string, OciSeccomp | undefined>();

/** Docker's default profile (profiles/seccomp/default.json), read once. */
export function defaultSeccompProfile(): DockerSeccompProfile {
  defaultProfile ??= parseSeccompProfile(readFileSync(DEFAULT_PROFILE_URL, 'utf8'));
  return defaultProfile;
}

/** The default profile for these capabilities, converted once per distinct capability set. The result
 *  is shared: callers must not mutate it (it is serialized into config.json as is). */
export function defaultSeccomp(caps: readonly string[]): OciSeccomp | undefined {
  const key = [...caps].sort().join(',');
  if (!defaultByCaps.has(key)) defaultByCaps.set(key, toOciSeccomp(defaultSeccompProfile(), caps));
  return defaultByCaps.get(key);
}

const customByText = new Map<string, DockerSeccompProfile>();

/** A custom profile (the JSON content a client sent with `seccomp=`), parsed once per distinct text. */
export function customSeccomp(text: string, caps: readonly string[]): OciSeccomp | undefined {
  let profile = customByText.get(text);
  if (!profile) {
    profile = parseSeccompProfile(text);
    if (customByText.size > 64) customByText.clear();
    customByText.set(text, profile);
  }
  return toOciSeccomp(profile, caps);
}
