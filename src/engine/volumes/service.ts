// The volume service: named and anonymous volumes, bind and tmpfs mounts, usage tracking.
import { randomBytes } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { conflict, invalid, notFound } from '../errors.js';
import { Mutex } from '../mutex.js';
import type { EngineContext, ResolvedMount, VolumeCreateRequest, VolumeManagement, VolumeService, VolumeUsage } from '../contracts.js';
import { diskUsage, imageDirAt, isEmptyDir, seedVolume } from './seed.js';
import { VOLUME_NAME, VolumeStore, type ContainerMounts, type VolumeRecord } from './store.js';

export type MountRequest = Parameters<VolumeService['resolve']>[1];

export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export class LocalVolumeService implements VolumeService, VolumeManagement {
  readonly store: VolumeStore;
  private readonly mutex = new Mutex();

  constructor(private readonly ctx: EngineContext) {
    this.store = new VolumeStore(ctx.paths.volumes);
  }

  // ---- volumes -------------------------------------------------------------------------------------

  async create(req: VolumeCreateRequest, anonymous = false): Promise<VolumeRecord> {
    const name = req.name || randomBytes(32).toString('hex');
    if (!VOLUME_NAME.test(name)) {
      throw invalid(
        `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      );
    }
    const driver = req.driver || 'local';
    if (driver !== 'local') throw invalid(`create ${name}: volume driver "${driver}" is not supported by the bundled engine: only "local"`);
    const options = req.options ?? {};
    validateLocalOptions(name, options);
    const { record, created } = await this.mutex.run(async () => {
      const existing = await this.store.get(name);
      if (existing) return { record: existing, created: false };
      const record: VolumeRecord = {
        name,
        driver: 'local',
        createdAt: new Date().toISOString(),
        options,
        anonymous,
        labels: { ...(req.labels ?? {}), ...(anonymous ? { [ANONYMOUS_LABEL]: '' } : {}) },
      };
      await this.store.create(record);
      return { record, created: true };
    });
    if (created) this.ctx.events.publish({ Type: 'volume', Action: 'create', Actor: { ID: name, Attributes: { driver: 'local' } } });
    return record;
  }

  async get(name: string): Promise<VolumeRecord | undefined> {
    return this.store.get(name);
  }
  async list(): Promise<VolumeRecord[]> {
    return this.store.list();
  }

  async usageReport(): Promise<VolumeUsage[]> {
    const used = await this.usage();
    return Promise.all(
      (await this.list()).map(async (volume) => ({
        volume,
        size: await diskUsage(this.store.dir(volume.name)),
        refCount: used.get(volume.name)?.length ?? 0,
      })),
    );
  }

  /** Container ids using each volume (any container that was given it and not yet released). */
  async usage(): Promise<Map<string, string[]>> {
    const users = new Map<string, string[]>();
    for (const c of await this.store.allContainerMounts()) {
      for (const m of c.mounts) {
        if (m.type !== 'volume') continue;
        users.set(m.source, [...(users.get(m.source) ?? []), c.containerId]);
      }
    }
    return users;
  }

  async remove(name: string, force = false): Promise<void> {
    await this.mutex.run(async () => {
      const record = await this.store.get(name);
      if (!record) {
        if (force) return;
        throw notFound(`get ${name}: no such volume`);
      }
      const users = (await this.usage()).get(name) ?? [];
      if (users.length) throw conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
      await this.store.remove(name);
    });
    this.ctx.events.publish({ Type: 'volume', Action: 'destroy', Actor: { ID: name, Attributes: { driver: 'local' } } });
  }

  /** Removes unused volumes that `select` picks; returns their names and the bytes freed. */
  async prune(select: (v: VolumeRecord) => boolean): Promise<{ names: string[]; bytes: number }> {
    const used = await this.usage();
    const names: string[] = [];
    let bytes = 0;
    for (const v of await this.list()) {
      if (used.has(v.name) || !select(v)) continue;
      const size = await diskUsage(this.store.dir(v.name));
      try {
        await this.remove(v.name);
      } catch {
        continue;
      }
      names.push(v.name);
      bytes += size;
    }
    return { names, bytes };
  }

  mountpoint(v: VolumeRecord): string {
    return v.options.type === 'none' && v.options.device ? v.options.device : this.store.dataDir(v.name);
  }

  // ---- mounts for containers -----------------------------------------------------------------------

  async resolve(containerId: string, mount: MountRequest, imageRootfs: string): Promise<ResolvedMount> {
    if (!mount.Target || !path.isAbsolute(mount.Target))
      throw invalid(`invalid mount config: mount target "${mount.Target ?? ''}" must be an absolute path`);
    const access = mount.ReadOnly ? 'ro' : 'rw';
    let resolved: ResolvedMount;
    let source = mount.Source ?? '';
    switch (mount.Type) {
      case 'bind': {
        if (!path.isAbsolute(source))
          throw invalid(`invalid mount config for type "bind": invalid mount path: '${source}' mount path must be absolute`);
        const exists = await stat(source).then(
          () => true,
          () => false,
        );
        if (!exists) {
          if (!mount.BindOptions?.CreateMountpoint)
            throw invalid(`invalid mount config for type "bind": bind source path does not exist: ${source}`);
          await mkdir(source, { recursive: true });
        }
        resolved = {
          type: 'bind',
          source,
          destination: mount.Target,
          options: ['rbind', mount.BindOptions?.Propagation || 'rprivate', access],
        };
        break;
      }
      case 'tmpfs':
        resolved = { type: 'tmpfs', source: 'tmpfs', destination: mount.Target, options: tmpfsOptions(mount.TmpfsOptions, access) };
        break;
      case 'volume': {
        // an anonymous volume stays the container's own across restarts
        const previous = source
          ? undefined
          : (await this.mountsOf(containerId)).find((m) => m.type === 'volume' && m.target === mount.Target);
        const volume =
          source || previous
            ? await this.create({ name: source || previous!.source, labels: mount.VolumeOptions?.Labels }, !source)
            : await this.create({ labels: mount.VolumeOptions?.Labels }, true);
        source = volume.name;
        resolved = await this.volumeMount(volume, mount, imageRootfs, access);
        this.ctx.events.publish({
          Type: 'volume',
          Action: 'mount',
          Actor: {
            ID: volume.name,
            Attributes: { container: containerId, destination: mount.Target, driver: 'local', 'read/write': String(!mount.ReadOnly) },
          },
        });
        break;
      }
      default:
        throw invalid(`invalid mount config: mount type "${(mount as { Type: string }).Type}" is not supported`);
    }
    await this.recordUse(containerId, { type: mount.Type, source, target: mount.Target, readOnly: Boolean(mount.ReadOnly) });
    return resolved;
  }

  private async volumeMount(volume: VolumeRecord, mount: MountRequest, imageRootfs: string, access: string): Promise<ResolvedMount> {
    if (volume.options.type === 'tmpfs') {
      const extra = (volume.options.o ?? '').split(',').filter(Boolean);
      return { type: 'tmpfs', source: 'tmpfs', destination: mount.Target, options: ['nosuid', 'nodev', ...extra, access] };
    }
    const data = this.mountpoint(volume);
    if (!mount.VolumeOptions?.NoCopy) {
      const from = await imageDirAt(imageRootfs, mount.Target);
      // the lock keeps two containers starting together from seeding the same volume twice
      if (from)
        await this.mutex.run(async () => {
          if (await isEmptyDir(data)) await seedVolume(from, data);
        });
    }
    return { type: 'bind', source: data, destination: mount.Target, options: ['rbind', 'rprivate', access] };
  }

  private async recordUse(containerId: string, m: ContainerMounts['mounts'][number]): Promise<void> {
    await this.mutex.run(async () => {
      const usage = (await this.store.containerMounts(containerId)) ?? { containerId, mounts: [] };
      usage.mounts = [...usage.mounts.filter((x) => x.target !== m.target), m];
      await this.store.saveContainerMounts(usage);
    });
  }

  /** The mounts a container was given, for `VolumesFrom`: resolve them again for the other container. */
  async mountsOf(containerId: string): Promise<ContainerMounts['mounts']> {
    return (await this.store.containerMounts(containerId))?.mounts ?? [];
  }

  async release(containerId: string, removeAnonymous: boolean): Promise<void> {
    const usage = await this.store.containerMounts(containerId);
    if (!usage) return; // most containers: no volumes, nothing recorded
    await this.store.removeContainerMounts(containerId);
    if (!removeAnonymous) return;
    const stillUsed = await this.usage();
    for (const m of usage.mounts) {
      if (m.type !== 'volume' || stillUsed.has(m.source)) continue;
      const v = await this.store.get(m.source);
      if (v?.anonymous) await this.remove(v.name, true).catch(() => undefined);
    }
  }
}

function tmpfsOptions(o: MountRequest['TmpfsOptions'], access: string): string[] {
  const options = ['nosuid', 'nodev'];
  if (o?.SizeBytes) options.push(`size=${o.SizeBytes}`);
  options.push(`mode=${(o?.Mode ?? 0o1777).toString(8)}`);
  return [...options, access];
}

function validateLocalOptions(name: string, options: Record<string, string>): void {
  const type = options.type;
  if (!type) {
    if (Object.keys(options).length)
      throw invalid(`create ${name}: local volume options need "type" (none with o=bind and device, or tmpfs)`);
    return;
  }
  if (type === 'tmpfs') return;
  if (type === 'none' && (options.o ?? '').split(',').includes('bind') && options.device && path.isAbsolute(options.device)) return;
  throw invalid(
    `create ${name}: unsupported local volume options ${JSON.stringify(options)}: the bundled engine supports type=none,o=bind,device=<absolute path> and type=tmpfs`,
  );
}
