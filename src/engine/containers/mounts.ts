// Turns HostConfig.Binds / Mounts / Tmpfs and the image's VOLUMEs into runtime mounts through VolumeService.
import type { ResolvedMount, VolumeService } from '../contracts.js';
import { invalid } from '../errors.js';
import type { ContainerRecord, MountPoint } from './record.js';

type MountRequest = Parameters<VolumeService['resolve']>[1];

export function parseBind(bind: string): MountRequest {
  const parts = bind.split(':');
  if (parts.length < 2 || parts.length > 3) throw invalid(`invalid volume specification: '${bind}'`);
  const [source, target, mode = ''] = parts as [string, string, string?];
  if (!target.startsWith('/')) throw invalid(`invalid mount config: mount path must be absolute: '${target}'`);
  const opts = mode.split(',');
  const isBind = source.startsWith('/');
  return {
    Type: isBind ? 'bind' : 'volume',
    Source: source,
    Target: target,
    ReadOnly: opts.includes('ro'),
    ...(isBind ? { BindOptions: { CreateMountpoint: true } } : {}),
  };
}

export function mountRequests(rec: ContainerRecord): MountRequest[] {
  const hc = rec.hostConfig;
  const requests: MountRequest[] = [];
  for (const b of (hc.Binds as string[] | null) ?? []) requests.push(parseBind(b));
  for (const m of (hc.Mounts as MountRequest[] | null) ?? []) {
    if (!m.Target || !m.Target.startsWith('/')) throw invalid('invalid mount config: mount path must be absolute');
    requests.push(m);
  }
  for (const [target, opts] of Object.entries((hc.Tmpfs as Record<string, string> | null) ?? {})) {
    const size = /(?:^|,)size=(\d+)([kmg]?)/i.exec(opts);
    const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(size?.[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'];
    requests.push({ Type: 'tmpfs', Target: target, TmpfsOptions: size ? { SizeBytes: Number(size[1]) * mult } : {} });
  }
  const taken = new Set(requests.map((r) => r.Target));
  for (const target of Object.keys((rec.config.Volumes as Record<string, object> | null) ?? {})) {
    if (!taken.has(target)) requests.push({ Type: 'volume', Target: target }); // anonymous volume
  }
  return requests;
}

export function toOciMount(m: ResolvedMount): { destination: string; type: string; source: string; options: string[] } {
  return { destination: m.destination, type: m.type === 'tmpfs' ? 'tmpfs' : 'bind', source: m.source, options: m.options };
}

export function mountPoint(req: MountRequest, m: ResolvedMount): MountPoint {
  const rw = !m.options.includes('ro');
  return {
    type: req.Type,
    source: req.Type === 'tmpfs' ? '' : m.source,
    destination: m.destination,
    mode: req.ReadOnly ? 'ro' : '',
    rw,
    propagation: req.Type === 'bind' ? 'rprivate' : '',
    ...(req.Type === 'volume' ? { name: req.Source ?? m.source.split('/').slice(-2, -1)[0], driver: 'local' } : {}),
  };
}
