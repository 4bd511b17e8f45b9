// A build context as the tar stream the Engine API wants, honouring .dockerignore.
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync, existsSync } from 'node:fs';
import path from 'node:path';
import { pack, type Pack } from 'tar-stream';
import { DockerignoreMatcher } from '../dockerignore.js';

export function contextFiles(context: string, dockerfile: string): string[] {
  const ignoreFile = path.join(context, '.dockerignore');
  const rules = DockerignoreMatcher.parse(existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8') : '');
  const keep = new Set([dockerfile, '.dockerignore']);
  const files: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(context, rel)).sort()) {
      const child = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path.join(context, child));
      const isDir = st.isDirectory();
      if (!keep.has(child) && rules.excludes(child)) {
        // as the docker CLI: an excluded directory is walked only for what an exception ("!dir/keep") brings back
        if (isDir && rules.mayReincludeUnder(child)) walk(child);
        continue;
      }
      files.push(child);
      if (isDir) walk(child);
    }
  };
  walk('');
  return files;
}

async function addEntry(tar: Pack, context: string, rel: string): Promise<void> {
  const full = path.join(context, rel);
  const st = lstatSync(full);
  const header = { name: rel, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
  if (st.isDirectory()) {
    tar.entry({ ...header, type: 'directory' });
    return;
  }
  if (st.isSymbolicLink()) {
    tar.entry({ ...header, type: 'symlink', linkname: readlinkSync(full) });
    return;
  }
  // sockets, fifos and devices are left out, as the docker CLI does (reading a socket fails, a fifo blocks)
  if (!st.isFile()) return;
  await new Promise<void>((resolve, reject) => {
    const entry = tar.entry({ ...header, size: st.size }, (err) => (err ? reject(err) : resolve()));
    createReadStream(full).on('error', reject).pipe(entry);
  });
}

export function contextTar(context: string, dockerfile: string, inlineDockerfile?: string): Pack {
  const tar = pack();
  void (async () => {
    try {
      for (const rel of contextFiles(context, dockerfile)) await addEntry(tar, context, rel);
      if (inlineDockerfile !== undefined) tar.entry({ name: dockerfile, mode: 0o644 }, inlineDockerfile);
      tar.finalize();
    } catch (err) {
      tar.destroy(err as Error);
    }
  })();
  return tar;
}

/** One file or directory tree packed under a new name (for `cp` into a container). */
export function pathTar(source: string, nameInTar: string): Pack {
  const tar = pack();
  const parent = path.dirname(source);
  const walk = (rel: string): string[] => {
    const full = path.join(parent, rel);
    if (!lstatSync(full).isDirectory()) return [rel];
    return [
      rel,
      ...readdirSync(full)
        .sort()
        .flatMap((n) => walk(path.join(rel, n))),
    ];
  };
  void (async () => {
    try {
      const base = path.basename(source);
      for (const rel of walk(base)) {
        const st = lstatSync(path.join(parent, rel));
        const header = { name: nameInTar + rel.slice(base.length), mode: st.mode & 0o7777, mtime: st.mtime };
        if (st.isDirectory()) tar.entry({ ...header, type: 'directory' });
        else if (st.isSymbolicLink()) tar.entry({ ...header, type: 'symlink', linkname: readlinkSync(path.join(parent, rel)) });
        else tar.entry({ ...header, size: st.size }, readFileSync(path.join(parent, rel)));
      }
      tar.finalize();
    } catch (err) {
      tar.destroy(err as Error);
    }
  })();
  return tar;
}
