// Named volumes on disk: <volumes>/<name>/_data holds the content, <volumes>/<name>/volume.json the
// metadata. Which containers use which volumes is kept in <volumes>/_containers/<id>.json.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface VolumeRecord {
  name: string;
  driver: 'local';
  createdAt: string;
  labels: Record<string, string>;
  /** local driver options: type/o/device (a bind of `device`, or a tmpfs) */
  options: Record<string, string>;
  anonymous: boolean;
}

/** The mounts one container was given: named volumes it uses and what `VolumesFrom` copies. */
export interface ContainerMounts {
  containerId: string;
  mounts: { type: 'volume' | 'bind' | 'tmpfs'; source: string; target: string; readOnly: boolean }[];
}

export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const USAGE_DIR = '_containers';

async function writeAtomic(file: string, data: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(data, null, 1));
  await rename(tmp, file);
}

async function readJsonFile<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export class VolumeStore {
  constructor(readonly root: string) {}

  dir(name: string): string {
    return path.join(this.root, name);
  }
  dataDir(name: string): string {
    return path.join(this.root, name, '_data');
  }

  async get(name: string): Promise<VolumeRecord | undefined> {
    if (!VOLUME_NAME.test(name)) return undefined;
    return readJsonFile<VolumeRecord>(path.join(this.dir(name), 'volume.json'));
  }

  async list(): Promise<VolumeRecord[]> {
    let names: string[] = [];
    try {
      names = await readdir(this.root);
    } catch {
      return [];
    }
    const records = await Promise.all(names.filter((n) => VOLUME_NAME.test(n)).map((n) => this.get(n)));
    return records.filter((r): r is VolumeRecord => r !== undefined);
  }

  async create(record: VolumeRecord): Promise<void> {
    await mkdir(this.dataDir(record.name), { recursive: true });
    await writeAtomic(path.join(this.dir(record.name), 'volume.json'), record);
  }

  async remove(name: string): Promise<void> {
    await rm(this.dir(name), { recursive: true, force: true });
  }

  async containerMounts(containerId: string): Promise<ContainerMounts | undefined> {
    const file = path.join(this.root, USAGE_DIR, `${containerId}.json`);
    if (!existsSync(file)) return undefined; // the common case, answered without a thread-pool trip
    return readJsonFile<ContainerMounts>(file);
  }

  async saveContainerMounts(usage: ContainerMounts): Promise<void> {
    await writeAtomic(path.join(this.root, USAGE_DIR, `${usage.containerId}.json`), usage);
  }

  async removeContainerMounts(containerId: string): Promise<void> {
    await rm(path.join(this.root, USAGE_DIR, `${containerId}.json`), { force: true });
  }

  async allContainerMounts(): Promise<ContainerMounts[]> {
    let files: string[] = [];
    try {
      files = await readdir(path.join(this.root, USAGE_DIR));
    } catch {
      return [];
    }
    const all = await Promise.all(
      files.filter((f) => f.endsWith('.json')).map((f) => readJsonFile<ContainerMounts>(path.join(this.root, USAGE_DIR, f))),
    );
    return all.filter((u): u is ContainerMounts => u !== undefined);
  }
}
