// Volume short syntax "[source:]target[:mode]" expanded to docker compose's long form; host paths
// (starting with ".", "/" or "~") become absolute binds, other sources are named volumes.
import os from 'node:os';
import path from 'node:path';
import { NormalizeError } from './error.js';
import { parseBytes } from './bytes.js';

export interface LongVolume {
  type: string;
  source?: string;
  target: string;
  read_only?: boolean;
  consistency?: string;
  bind?: { propagation?: string; create_host_path?: boolean; selinux?: string };
  volume?: { nocopy?: boolean; subpath?: string };
  tmpfs?: { size?: number | string; mode?: number };
  [key: string]: unknown;
}

const PROPAGATION = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);
const CONSISTENCY = new Set(['consistent', 'cached', 'delegated']);

export function isHostPath(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
}

export function resolveHostPath(p: string, baseDir: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(os.homedir(), p.slice(1));
  return path.resolve(baseDir, p);
}

export function parseVolumeEntry(entry: unknown, baseDir: string): LongVolume {
  if (typeof entry === 'string') return parseShortVolume(entry, baseDir);
  if (entry && typeof entry === 'object') {
    const v = { ...(entry as LongVolume) };
    if ((v.type === 'bind' || v.type === 'npipe') && !v.source) throw new NormalizeError(`a ${v.type} mount needs a source`);
    if (v.type !== 'tmpfs' && !v.target) throw new NormalizeError('a mount needs a target');
    if (v.type === 'bind' && v.source) v.source = resolveHostPath(v.source, baseDir);
    if (v.tmpfs?.size !== undefined) v.tmpfs = { ...v.tmpfs, size: parseBytes(v.tmpfs.size) };
    return reorder(v);
  }
  throw new NormalizeError(`invalid volume ${JSON.stringify(entry)}`);
}

function parseShortVolume(spec: string, baseDir: string): LongVolume {
  const parts = spec.split(':');
  if (parts.length === 1) return { type: 'volume', target: parts[0]!, volume: {} };
  if (parts.length > 3) throw new NormalizeError(`invalid volume "${spec}": expected [source:]target[:mode]`);
  const [source, target, mode] = parts as [string, string, string | undefined];
  if (!target) throw new NormalizeError(`invalid volume "${spec}": empty target path`);
  const v: LongVolume = isHostPath(source)
    ? { type: 'bind', source: resolveHostPath(source, baseDir), target }
    : { type: 'volume', source, target };
  for (const opt of (mode ?? '').split(',').filter(Boolean)) {
    if (opt === 'ro') v.read_only = true;
    else if (opt === 'rw') v.read_only = false;
    else if (opt === 'z' || opt === 'Z') v.bind = { ...v.bind, selinux: opt };
    else if (CONSISTENCY.has(opt)) v.consistency = opt;
    else if (PROPAGATION.has(opt)) v.bind = { ...v.bind, propagation: opt };
    else if (opt === 'nocopy') v.volume = { ...v.volume, nocopy: true };
    else throw new NormalizeError(`invalid volume "${spec}": unknown mode "${opt}"`);
  }
  if (v.type === 'bind') v.bind = { create_host_path: true, ...v.bind };
  else v.volume = v.volume ?? {};
  if (v.read_only === false) delete v.read_only;
  return reorder(v);
}

const ORDER = ['type', 'source', 'target', 'read_only', 'consistency', 'bind', 'volume', 'tmpfs', 'image'];

function reorder(v: LongVolume): LongVolume {
  const out: Record<string, unknown> = {};
  for (const k of ORDER) if (v[k] !== undefined) out[k] = v[k];
  for (const [k, x] of Object.entries(v)) if (!(k in out)) out[k] = x;
  return out as LongVolume;
}
