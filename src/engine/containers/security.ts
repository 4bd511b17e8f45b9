// HostConfig's security settings, checked at create time as Docker does (400 on anything invalid) and
// turned into what the OCI spec needs at start: SecurityOpt (seccomp, no-new-privileges, label,
// apparmor), CapAdd/CapDrop names, and mount sources that must be absolute host paths.
import { invalid } from '../errors.js';
import { knownCapabilities } from '../runtime/spec.js';
import { parseSeccompProfile } from '../runtime/seccomp.js';
import { parseBind } from './mounts.js';

export type SeccompChoice = { kind: 'default' } | { kind: 'unconfined' } | { kind: 'custom'; profile: string };

export interface SecuritySettings {
  seccomp: SeccompChoice;
  noNewPrivileges: boolean;
  /** label=disable, label=…, apparmor=…: accepted; this engine applies neither SELinux nor AppArmor */
  labels: string[];
  apparmor?: string;
}

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Docker's parseSecurityOpt: `key=value` (or the deprecated `key:value`), plus the bare words
 *  `no-new-privileges` and `disable`. The seccomp value is "unconfined" or a profile's JSON content
 *  (the docker CLI and compose read the file client-side and send its content). */
export function parseSecurityOpt(opts: readonly string[] | null | undefined): SecuritySettings {
  const out: SecuritySettings = { seccomp: { kind: 'default' }, noNewPrivileges: false, labels: [] };
  for (const opt of opts ?? []) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable') {
      out.labels.push('disable');
      continue;
    }
    const eq = opt.indexOf('=');
    const colon = opt.indexOf(':');
    const at = eq >= 0 ? eq : colon;
    if (at < 0) throw invalid(`invalid --security-opt 1: ${JSON.stringify(opt)}`);
    const key = opt.slice(0, at);
    const value = opt.slice(at + 1);
    switch (key) {
      case 'label':
        out.labels.push(value);
        break;
      case 'apparmor':
        out.apparmor = value;
        break;
      case 'seccomp':
        if (value === 'unconfined') out.seccomp = { kind: 'unconfined' };
        else {
          try {
            parseSeccompProfile(value);
          } catch (err) {
            throw invalid((err as Error).message);
          }
          out.seccomp = { kind: 'custom', profile: value };
        }
        break;
      case 'no-new-privileges': {
        const b = parseGoBool(value);
        if (b === undefined) throw invalid(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
        out.noNewPrivileges = b;
        break;
      }
      default:
        throw invalid(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
    }
  }
  return out;
}

// Go's strconv.ParseBool
function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** Docker's NormalizeLegacyCapabilities check: upper case, CAP_ prefix optional, "ALL" allowed. */
export function checkCapabilities(field: 'CapAdd' | 'CapDrop', caps: readonly string[] | null | undefined): void {
  const known = knownCapabilities();
  for (const c of caps ?? []) {
    let name = c.toUpperCase();
    if (name === 'ALL') continue;
    if (!name.startsWith('CAP_')) name = `CAP_${name}`;
    if (!known.includes(name)) throw invalid(`invalid ${field}: unknown capability: ${JSON.stringify(name)}`);
  }
}

/** Bind sources must be absolute host paths; anything else in Binds is a volume name and must be one. */
export function checkMountSources(hc: Record<string, any>): void {
  for (const b of (hc.Binds as string[] | null) ?? []) {
    const m = parseBind(b);
    if (m.Type === 'volume' && m.Source && !VOLUME_NAME.test(m.Source)) {
      throw invalid(
        `create ${m.Source}: "${m.Source}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      );
    }
  }
  for (const m of (hc.Mounts as { Type?: string; Source?: string }[] | null) ?? []) {
    if (m.Type === 'bind' && !(m.Source ?? '').startsWith('/')) {
      throw invalid(`invalid mount config for type "bind": invalid mount path: '${m.Source ?? ''}' mount path must be absolute`);
    }
  }
}

/** Everything create must refuse before a container exists. */
export function checkSecurityAtCreate(hc: Record<string, any>): void {
  checkCapabilities('CapAdd', hc.CapAdd);
  checkCapabilities('CapDrop', hc.CapDrop);
  parseSecurityOpt(hc.SecurityOpt);
  checkMountSources(hc);
}
