// Reads an outer archive (docker save, OCI layout tar) into a temp dir as a name → file map, without
// ever creating paths from entry names: each file is stored under a counter.
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { invalid } from '../errors.js';
import { decompress } from './decompress.js';
import { safeComponents } from './extract.js';

export class ArchiveFiles {
  constructor(
    private readonly files: Map<string, string>,
    readonly dir: string,
  ) {}
  has(name: string): boolean {
    return this.files.has(normalize(name));
  }
  path(name: string): string {
    const p = this.files.get(normalize(name));
    if (!p) throw invalid(`archive is missing "${name}"`);
    return p;
  }
  async read(name: string): Promise<Buffer> {
    return fs.readFile(this.path(name));
  }
  async json<T>(name: string): Promise<T> {
    try {
      return JSON.parse((await this.read(name)).toString('utf8')) as T;
    } catch (err) {
      if (err instanceof SyntaxError) throw invalid(`archive file "${name}" is not valid JSON`);
      throw err;
    }
  }
  async dispose(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}

const normalize = (name: string): string => {
  try {
    return safeComponents(name).join('/');
  } catch {
    return '\0invalid';
  }
};

export async function readArchive(source: Readable, tmpDir: string): Promise<ArchiveFiles> {
  await fs.mkdir(tmpDir, { recursive: true });
  const dir = await fs.mkdtemp(path.join(tmpDir, 'archive-'));
  const files = new Map<string, string>();
  const links = new Map<string, string>();
  const extract = tar.extract();
  let n = 0;
  try {
    const feeding = pipeline(Readable.from(decompress(source)), extract).catch((err: Error) => {
      extract.destroy(err);
    });
    for await (const entry of extract) {
      const name = normalize(entry.header.name);
      if (entry.header.type === 'file' || entry.header.type === 'contiguous-file') {
        const file = path.join(dir, String(n++));
        await pipeline(entry as unknown as Readable, createWriteStream(file));
        files.set(name, file);
        continue;
      }
      if (entry.header.type === 'symlink' || entry.header.type === 'link') {
        const target =
          entry.header.type === 'symlink'
            ? path.posix.join(path.posix.dirname(name), entry.header.linkname ?? '')
            : (entry.header.linkname ?? '');
        links.set(name, normalize(target));
      }
      for await (const _ of entry) {
        /* skip */
      }
    }
    await feeding;
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw invalid(`cannot read the image archive: ${(err as Error).message}`);
  }
  for (const [name, target] of links) {
    let t = target;
    for (let hop = 0; hop < 8 && links.has(t); hop++) t = links.get(t)!;
    const file = files.get(t);
    if (file) files.set(name, file);
  }
  return new ArchiveFiles(files, dir);
}
