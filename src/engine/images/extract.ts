// Hostile-input-safe layer extraction into one directory that later serves as an overlayfs lower dir.
// Every entry path is resolved component by component inside the root: symlinks met on the way are
// followed as if the root were `/` (chroot semantics), so nothing is ever created or written outside it.
// Whiteouts become overlayfs whiteouts (0/0 char device, `trusted.overlay.opaque=y` on opaque dirs).
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import tar from 'tar-stream';
import { resolveInRoot, safeComponents, UnsafePathError } from '../fs/in-root.js';

export { resolveInRoot, safeComponents, UnsafePathError as UnsafeLayerError };
const UnsafeLayerError = UnsafePathError;

const run = promisify(execFile);
const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
/** xattrs a layer may carry; trusted.* (overlay metadata) and others could forge filesystem semantics. */
const ALLOWED_XATTR = /^(user\.|security\.capability$)/;

export interface ExtractResult { entries: number; skipped: string[] }

export interface ExtractOptions {
  /** apply uid/gid from the archive (default: when running as root) */
  applyOwnership?: boolean;
}

async function removeExisting(target: string, keepDir: boolean): Promise<void> {
  let st;
  try { st = await fs.lstat(target); } catch { return; }
  if (st.isDirectory()) { if (!keepDir) await fs.rm(target, { recursive: true, force: true }); }
  else await fs.unlink(target);
}

async function makeWhiteout(target: string): Promise<void> {
  await removeExisting(target, false);
  await run('mknod', ['-m', '0', target, 'c', '0', '0']);
}

export async function setXattr(target: string, name: string, value: Buffer): Promise<void> {
  await run('setfattr', ['-h', '-n', name, '-v', '0x' + value.toString('hex'), target]);
}

export async function markOpaque(dir: string): Promise<void> {
  await setXattr(dir, 'trusted.overlay.opaque', Buffer.from('y'));
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) { /* discard */ }
}

export async function extractLayer(source: Readable, root: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const applyOwnership = opts.applyOwnership ?? process.getuid?.() === 0;
  const extract = tar.extract();
  const result: ExtractResult = { entries: 0, skipped: [] };
  const dirTimes: { dir: string; mtime: Date }[] = [];
  await fs.mkdir(root, { recursive: true });
  const realRoot = await fs.realpath(root);

  const feeding = pipeline(source, extract).catch((err: Error) => { extract.destroy(err); });
  for await (const entry of extract) {
    const h = entry.header;
    result.entries++;
    const parts = safeComponents(h.name);
    if (parts.length === 0) { // the root itself
      if (h.type === 'directory') dirTimes.push({ dir: realRoot, mtime: h.mtime ?? new Date(0) });
      await drain(entry);
      continue;
    }
    const base = parts[parts.length - 1]!;
    const parent = await resolveInRoot(realRoot, parts.slice(0, -1), true);

    if (base.startsWith(WHITEOUT_PREFIX)) {
      await drain(entry);
      if (base === OPAQUE_MARKER) await markOpaque(parent);
      else if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) result.skipped.push(h.name); // aufs metadata
      else {
        const hidden = base.slice(WHITEOUT_PREFIX.length);
        if (hidden === '' || hidden === '.' || hidden === '..') throw new UnsafeLayerError(`layer entry "${h.name}" is an invalid whiteout`);
        await makeWhiteout(path.join(parent, hidden));
      }
      continue;
    }

    const target = path.join(parent, base);
    switch (h.type) {
      case 'directory':
        await removeExisting(target, true);
        await fs.mkdir(target, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'EEXIST') throw err; });
        dirTimes.push({ dir: target, mtime: h.mtime ?? new Date(0) });
        await drain(entry);
        break;
      case 'file':
      case 'contiguous-file': {
        await removeExisting(target, false);
        const handle = await fs.open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        await pipeline(entry as unknown as Readable, handle.createWriteStream());
        break;
      }
      case 'symlink':
        await drain(entry);
        await removeExisting(target, false);
        await fs.symlink(h.linkname ?? '', target);
        break;
      case 'link': {
        await drain(entry);
        const linkParts = safeComponents(h.linkname ?? '');
        if (linkParts.length === 0) throw new UnsafeLayerError(`hard link "${h.name}" has no target`);
        const linkParent = await resolveInRoot(realRoot, linkParts.slice(0, -1)).catch(() => undefined);
        const source = linkParent && path.join(linkParent, linkParts[linkParts.length - 1]!);
        const st = source ? await fs.lstat(source).catch(() => undefined) : undefined;
        if (!source || !st || st.isDirectory()) throw new UnsafeLayerError(`hard link "${h.name}" points to "${h.linkname}", which is not a file inside the layer`);
        await removeExisting(target, false);
        await fs.link(source, target);
        continue; // a hard link shares the metadata of its source
      }
      default: // devices, fifos: not allowed in layers we unpack
        await drain(entry);
        result.skipped.push(h.name);
        continue;
    }
    await applyMetadata(target, h, applyOwnership);
  }
  await feeding;
  // directory mtimes last: creating children changes them. A later entry may have replaced the directory
  // with a symlink: lutimes never follows it (and a symlink keeps the times its own entry gave it).
  for (const { dir, mtime } of dirTimes.reverse()) {
    if ((await fs.lstat(dir).catch(() => undefined))?.isDirectory()) await fs.lutimes(dir, mtime, mtime).catch(() => {});
  }
  return result;
}

async function applyMetadata(target: string, h: tar.Header, applyOwnership: boolean): Promise<void> {
  if (applyOwnership) await fs.lchown(target, h.uid ?? 0, h.gid ?? 0);
  if (h.type !== 'symlink') await fs.chmod(target, (h.mode ?? 0o644) & 0o7777); // after chown: it clears setuid
  const mtime = h.mtime ?? new Date(0);
  await fs.lutimes(target, mtime, mtime);
  for (const [key, value] of Object.entries((h.pax ?? {}) as Record<string, string>)) {
    if (!key.startsWith('SCHILY.xattr.')) continue;
    const name = key.slice('SCHILY.xattr.'.length);
    if (ALLOWED_XATTR.test(name)) await setXattr(target, name, Buffer.from(value, 'latin1')).catch(() => {});
  }
}
