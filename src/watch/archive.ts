// A tar stream of host files for PUT /containers/{id}/archive, built entry by entry so a huge file is
// streamed, never held in memory. Entry names are container paths relative to "/".
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import { once } from 'node:events';
import tar from 'tar-stream';

export interface SyncEntry {
  hostPath: string;
  containerPath: string; // absolute, posix
  stat: Stats; // from lstat
}

export interface SyncArchive {
  stream: NodeJS.ReadableStream;
  /** resolves with the sha1 of every file written, once the last entry is in the stream */
  written: Promise<Map<string, string>>;
}

type TarHeader = Parameters<tar.Pack['entry']>[0];

const nameOf = (containerPath: string) => containerPath.replace(/^\/+/, '');

export function buildSyncArchive(entries: SyncEntry[]): SyncArchive {
  const pack = tar.pack();
  const written = (async () => {
    const hashes = new Map<string, string>();
    for (const entry of entries) {
      const header = {
        name: nameOf(entry.containerPath),
        mode: entry.stat.mode & 0o7777,
        uid: entry.stat.uid,
        gid: entry.stat.gid,
        mtime: entry.stat.mtime,
      };
      if (entry.stat.isDirectory()) {
        await addVoid(pack, { ...header, type: 'directory' });
      } else if (entry.stat.isSymbolicLink()) {
        await addVoid(pack, { ...header, type: 'symlink', linkname: await readlink(entry.hostPath) });
      } else if (entry.stat.isFile()) {
        hashes.set(entry.hostPath, await addFile(pack, { ...header, type: 'file', size: entry.stat.size }, entry.hostPath));
      }
    }
    pack.finalize();
    return hashes;
  })();
  written.catch((err: Error) => pack.destroy(err));
  return { stream: pack as unknown as NodeJS.ReadableStream, written };
}

function addVoid(pack: tar.Pack, header: TarHeader): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, (err) => (err ? reject(err) : resolve()));
  });
}

/** Files up to this size are read in one go: much cheaper than a stream each when thousands change at once. */
const SMALL_FILE = 256 * 1024;

async function addSmallFile(pack: tar.Pack, header: TarHeader & { size: number }, file: string): Promise<string> {
  let content = await readFile(file);
  if (content.length < header.size) throw new Error(`${file} shrank while it was being synced`);
  content = content.subarray(0, header.size);
  await new Promise<void>((resolve, reject) => {
    pack.entry(header, content, (err) => (err ? reject(err) : resolve()));
  });
  return createHash('sha1').update(content).digest('hex');
}

/** Streams exactly `size` bytes (what lstat saw); a file that shrank meanwhile fails the entry. */
async function addFile(pack: tar.Pack, header: TarHeader & { size: number }, file: string): Promise<string> {
  if (header.size <= SMALL_FILE) return addSmallFile(pack, header, file);
  const hash = createHash('sha1');
  let sink!: ReturnType<tar.Pack['entry']>;
  const done = new Promise<void>((resolve, reject) => {
    sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
  });
  if (header.size > 0) {
    for await (const chunk of createReadStream(file, { start: 0, end: header.size - 1 })) {
      hash.update(chunk as Buffer);
      if (!sink.write(chunk as Buffer)) await once(sink as unknown as NodeJS.EventEmitter, 'drain');
    }
  }
  sink.end(undefined);
  await done;
  return hash.digest('hex');
}
