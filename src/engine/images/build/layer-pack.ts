// A layer directory (a RUN step's overlay upper dir, or a COPY staging dir) → an uncompressed layer tar
// in the blob store. Overlay whiteouts (0/0 char devices, opaque dirs) become `.wh.` entries.
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { streamToClient } from '../../stream-to-client.js';
import { promisify } from 'node:util';
import tar from 'tar-stream';
import type { BlobStore } from '../blobs.js';
import { MediaType, type Descriptor } from '../oci.js';

const run = promisify(execFile);

/** Directories marked `trusted.overlay.opaque=y` below `root`, relative paths ("" = the root itself). */
async function opaqueDirs(root: string): Promise<Set<string>> {
  let stdout: string;
  try {
    ({ stdout } = await run('getfattr', ['-R', '-P', '--absolute-names', '-n', 'trusted.overlay.opaque', root], { maxBuffer: 64 << 20 }));
  } catch (err) {
    // getfattr exits 1 when some files lack the attribute; its stdout still lists the ones that have it
    const out = (err as { stdout?: string }).stdout;
    if (out === undefined) throw err;
    stdout = out;
  }
  const found = new Set<string>();
  let current: string | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('# file: ')) current = line.slice(8);
    else if (current && line === 'trusted.overlay.opaque="y"') found.add(path.relative(root, current));
  }
  return found;
}

async function packDir(root: string, pack: tar.Pack, skip?: Set<string>): Promise<void> {
  const opaque = await opaqueDirs(root);
  const seenInodes = new Map<string, string>();
  const add = (header: Partial<tar.Header> & { name: string }, body?: Readable): Promise<void> =>
    new Promise((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body) {
        const entry = pack.entry(header, done);
        entry.on('error', reject); // a destroyed pack fails its entry: unhandled, that error would end the engine
        body.pipe(entry as unknown as NodeJS.WritableStream);
      } else pack.entry(header, '', done);
    });
  const walk = async (rel: string): Promise<void> => {
    const names = (await fs.readdir(path.join(root, rel))).sort();
    for (const name of names) {
      const relPath = rel ? `${rel}/${name}` : name;
      if (skip?.has(relPath)) continue;
      const abs = path.join(root, relPath);
      const st = await fs.lstat(abs);
      const common = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
      if (st.isCharacterDevice() && st.rdev === 0) {
        await add({ name: rel ? `${rel}/.wh.${name}` : `.wh.${name}`, ...common, mode: 0o600, size: 0 });
      } else if (st.isDirectory()) {
        await add({ name: `${relPath}/`, type: 'directory', ...common });
        if (opaque.has(relPath)) await add({ name: `${relPath}/.wh..wh..opq`, ...common, mode: 0o600, size: 0 });
        await walk(relPath);
      } else if (st.isSymbolicLink()) {
        await add({ name: relPath, type: 'symlink', linkname: await fs.readlink(abs), ...common });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? seenInodes.get(key) : undefined;
        if (first) {
          await add({ name: relPath, type: 'link', linkname: first, ...common });
          continue;
        }
        if (st.nlink > 1) seenInodes.set(key, relPath);
        await add({ name: relPath, type: 'file', size: st.size, ...common }, createReadStream(abs));
      } // sockets, fifos and devices are not layer content
    }
  };
  await walk('');
}

/** Streams `dir` as a tar to a client (docker export of a container's filesystem view). */
export async function packTree(dir: string, out: Writable): Promise<void> {
  const pack = tar.pack();
  await streamToClient(pack, out, async () => {
    await packDir(dir, pack);
    pack.finalize();
  });
}

/** Packs `dir` (less the relative paths in `skip`) as an uncompressed layer blob; its digest is the diffID. */
export async function packLayer(dir: string, blobs: BlobStore, skip?: Set<string>): Promise<{ descriptor: Descriptor; diffID: string }> {
  const pack = tar.pack();
  const packing = packDir(dir, pack, skip).then(
    () => pack.finalize(),
    (err: Error) => pack.destroy(err),
  );
  const [blob] = await Promise.all([blobs.ingest(pack as unknown as Readable), packing]);
  return { descriptor: { mediaType: MediaType.ociLayer, digest: blob.digest, size: blob.size }, diffID: blob.digest };
}
