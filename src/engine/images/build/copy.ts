// COPY / ADD into a fresh layer directory, and the content hash the build cache keys COPY steps by.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { decompress } from '../decompress.js';
import { extractLayer, resolveInRoot, safeComponents, UnsafeLayerError } from '../extract.js';
import { Readable } from 'node:stream';
import { lookupInLayers, resolveInLayers } from '../layer-files.js';
import { DockerfileError } from './dockerfile.js';

export interface CopyRequest {
  sources: string[];
  dest: string;
  srcRoot: string; // the build context, or a stage's mounted rootfs for --from
  ignored?: (rel: string) => boolean; // .dockerignore, for the context only
  workingDir: string;
  owner?: { uid: number; gid: number };
  chmod?: number;
  lowerDirs: string[]; // the image so far: is the destination an existing directory?
  stagingDir: string;
  extractArchives: boolean; // ADD
}

const hasWildcard = (s: string) => /[*?[]/.test(s);

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (const ch of pattern) re += ch === '*' ? '[^/]*' : ch === '?' ? '[^/]' : /[.+^${}()|\\\]]/.test(ch) ? `\\${ch}` : ch;
  return new RegExp(`^${re}$`);
}

/** Source paths relative to srcRoot, after wildcard expansion; never outside srcRoot. */
async function expandSources(req: CopyRequest): Promise<string[]> {
  const out: string[] = [];
  for (const src of req.sources) {
    let parts: string[];
    try {
      parts = safeComponents(src);
    } catch {
      throw new DockerfileError(`forbidden path outside the build context: ${src}`);
    }
    const last = parts[parts.length - 1];
    if (last && hasWildcard(last)) {
      const parentRel = parts.slice(0, -1).join('/');
      const re = globToRegExp(last);
      const names = await fs.readdir(path.join(req.srcRoot, parentRel)).catch(() => [] as string[]);
      const matched = names
        .filter((n) => re.test(n))
        .sort()
        .map((n) => (parentRel ? `${parentRel}/${n}` : n));
      out.push(...matched.filter((m) => !req.ignored?.(m)));
      if (matched.length === 0) throw new DockerfileError(`no source files were specified: ${src} matched nothing`);
      continue;
    }
    const rel = parts.join('/');
    const exists = await fs.lstat(path.join(req.srcRoot, rel)).then(
      () => true,
      () => false,
    );
    if (!exists || (rel && req.ignored?.(rel)))
      throw new DockerfileError(
        `COPY failed: file not found in build context or excluded by .dockerignore: stat ${src}: file does not exist`,
      );
    out.push(rel);
  }
  return out;
}

async function isTarArchive(file: string): Promise<boolean> {
  let head = Buffer.alloc(0);
  for await (const chunk of decompress(createReadStream(file, { end: 1 << 16 }))) {
    head = Buffer.concat([head, chunk]);
    if (head.length >= 262) break;
  }
  return head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
}

export async function copyIntoLayer(req: CopyRequest): Promise<void> {
  const sources = await expandSources(req);
  const destAbs = path.posix.resolve(req.workingDir || '/', req.dest);
  // symlinks of the image on the destination's path are followed inside the image, as Docker does
  // (`COPY f /link/` with /link -> /data writes /data/f); the layer then writes only below its own root
  const destRel = resolveInLayers(req.lowerDirs, destAbs.slice(1)) ?? destAbs.slice(1);
  const existing = lookupInLayers(req.lowerDirs, destRel);
  // WORKDIR makes its directory, so "COPY x ." always means "into the working directory"
  const destIsDir =
    req.dest.endsWith('/') ||
    /(^|\/)\.$/.test(req.dest) ||
    sources.length > 1 ||
    !!existing?.stat.isDirectory() ||
    destAbs === path.posix.resolve(req.workingDir || '/');
  const owner = req.owner ?? { uid: 0, gid: 0 };

  // the destination's directories, created in the staging root (never through a symlink out of it) with the
  // metadata an existing directory of the image has
  const ensureParents = (rel: string): Promise<string> =>
    resolveInRoot(req.stagingDir, rel.split('/').filter(Boolean), {
      createDirs: true,
      onCreate: async (p, parts) => {
        const below = lookupInLayers(req.lowerDirs, parts.join('/'));
        const meta = below?.stat.isDirectory() ? below.stat : undefined;
        await fs.lchown(p, meta?.uid ?? 0, meta?.gid ?? 0);
        await fs.chmod(p, meta ? meta.mode & 0o7777 : 0o755);
      },
    });

  const copyEntry = async (srcAbs: string, srcRel: string, dst: string): Promise<void> => {
    const st = await fs.lstat(srcAbs);
    if (st.isDirectory()) {
      // a directory merges into a directory; anything else there (a symlink an earlier source copied, e.g.
      // `s -> /tmp/victim` or `s -> ../../..`) is replaced, as Docker's builder does, never written through
      const existing = await fs.lstat(dst).catch(() => undefined);
      if (existing && !existing.isDirectory()) await fs.rm(dst, { force: true });
      if (!existing?.isDirectory()) await fs.mkdir(dst);
      for (const name of (await fs.readdir(srcAbs)).sort()) {
        const childRel = srcRel ? `${srcRel}/${name}` : name;
        if (req.ignored?.(childRel)) continue;
        await copyEntry(path.join(srcAbs, name), childRel, path.join(dst, name));
      }
    } else if (st.isSymbolicLink()) {
      await fs.rm(dst, { force: true, recursive: true }); // a directory an earlier source copied: replaced, as Docker does
      await fs.symlink(await fs.readlink(srcAbs), dst);
    } else if (st.isFile()) {
      await fs.rm(dst, { force: true, recursive: true });
      await fs.copyFile(srcAbs, dst);
    } else return;
    await fs.lchown(dst, owner.uid, owner.gid);
    if (!st.isSymbolicLink()) await fs.chmod(dst, req.chmod ?? st.mode & 0o7777);
    await fs.lutimes(dst, st.mtime, st.mtime);
  };

  for (const rel of sources) {
    // the named source itself is followed if it is a symlink (inside srcRoot only)
    const srcAbs = await resolveInRoot(req.srcRoot, rel.split('/')).catch((err: Error) => {
      throw err instanceof UnsafeLayerError ? new DockerfileError(err.message) : err;
    });
    const st = await fs.stat(srcAbs);
    if (st.isDirectory()) {
      await copyEntry(srcAbs, rel, await ensureParents(destRel));
    } else if (req.extractArchives && (await isTarArchive(srcAbs))) {
      await extractLayer(Readable.from(decompress(createReadStream(srcAbs))), await ensureParents(destRel));
    } else {
      const target = destIsDir ? `${destRel}/${path.basename(rel)}` : destRel;
      const parent = await ensureParents(path.posix.dirname(target) === '.' ? '' : path.posix.dirname(target));
      await copyEntry(srcAbs, rel, path.join(parent, path.posix.basename(target)));
    }
  }
}

/** A content hash of a directory tree: paths, types, modes, owners, contents, link targets (not mtimes). */
export async function hashTree(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await fs.readdir(path.join(dir, rel))).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = path.join(dir, r);
      const st = await fs.lstat(abs);
      hash.update(`${r}\0${st.mode}\0${st.uid}:${st.gid}\0`);
      if (st.isDirectory()) await walk(r);
      else if (st.isSymbolicLink()) hash.update(await fs.readlink(abs));
      else if (st.isFile()) for await (const chunk of createReadStream(abs)) hash.update(chunk as Buffer);
      hash.update('\n');
    }
  };
  await walk('');
  return hash.digest('hex');
}
