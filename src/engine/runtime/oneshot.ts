// Runs one process to completion in a throwaway container: overlayfs from lowerDirs + upperDir, runc run,
// output streamed, exit code returned, mounts and bundle removed afterwards. Its network is what the step
// network layer prepared (`sandbox`: a namespace on a bridge network, or the host's, with /etc/hosts and
// /etc/resolv.conf for it); alone, the runner gives a new namespace with loopback only, or the host's.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import type { OneShotRunner, OneShotSandbox } from '../contracts.js';
import { chrootComponents, resolveInRoot } from '../fs/in-root.js';
import type { EnginePaths } from '../paths.js';
import { OciRuntime, detectRuntimeBinary } from './oci-runtime.js';
import { mountOverlay, unmount } from './overlay.js';
import { buildOciSpec, type NetworkNamespace, type OciMount } from './spec.js';
import { resolveUser, userTablesAt } from './users.js';
import { exitCodeOf } from './exit-code.js';
import { DEFAULT_PATH, hasPath } from './default-path.js';

const HOST_NETWORK_FILES: OciMount[] = ['/etc/resolv.conf', '/etc/hosts'].map((f) => ({
  destination: f,
  type: 'bind',
  source: f,
  options: ['rbind', 'ro'],
}));

export function createOneShotRunner(paths: EnginePaths, runtime?: OciRuntime): OneShotRunner {
  let rt = runtime;
  return {
    async runOneShot(opts) {
      rt ??= new OciRuntime(detectRuntimeBinary(), path.join(paths.root, 'runc'));
      const id = `tsc-oneshot-${opts.id ?? randomBytes(8).toString('hex')}`.slice(0, 64);
      const bundle = path.join(paths.tmp, id);
      const merged = path.join(bundle, 'rootfs');
      // the overlay work dir must live on the upper dir's filesystem
      const workDir = path.join(path.dirname(opts.upperDir), `.${path.basename(opts.upperDir)}-work-${id}`);
      await mkdir(bundle, { recursive: true });
      let mounted = false;
      let mountPoints: MountPointsBefore | undefined;
      try {
        await mountOverlay({
          lowerDirs: opts.lowerDirs,
          upperDir: opts.upperDir,
          workDir,
          mergedDir: merged,
          emptyLower: path.join(bundle, 'empty'),
        });
        mounted = true;
        const user = resolveUser(userTablesAt(merged), opts.user);
        const env = hasPath(opts.env) ? opts.env : [`PATH=${DEFAULT_PATH}`, ...opts.env];
        // inside the image: a symlink an earlier step made (`/w -> /tmp/x`) is followed in the rootfs, not on the host
        if (opts.workingDir) await resolveInRoot(merged, chrootComponents(opts.workingDir), { createDirs: true });
        const { network, mounts, hostname } = await networkSetup(opts.sandbox, opts.network === 'host', bundle, opts.id);
        const spec = buildOciSpec({
          rootfs: merged,
          args: opts.args,
          env,
          cwd: opts.workingDir || '/',
          uid: user.uid,
          gid: user.gid,
          additionalGids: user.additionalGids,
          network,
          mounts: [...mounts, ...(opts.mounts ?? [])],
          hostname,
          cgroupsPath: `/tscompose/${id}`,
        });
        mountPoints = await statMountPoints(merged, spec.mounts as OciMount[]);
        await writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec));
        const child = rt.spawn(['run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout!.on('data', (c: Buffer) => opts.onOutput?.(c, 'stdout'));
        child.stderr!.on('data', (c: Buffer) => opts.onOutput?.(c, 'stderr'));
        const exitCode = await new Promise<number>((resolve, reject) => {
          child.on('error', reject);
          child.on('close', (code, signal) => resolve(exitCodeOf(code, signal)));
        });
        return { exitCode };
      } finally {
        await rt.delete(id, true).catch(() => {});
        if (mounted) await unmount(merged);
        if (mountPoints) await removeMadeMountPoints(opts.upperDir, mountPoints).catch(() => {});
        await rm(bundle, { recursive: true, force: true });
        await rm(workDir, { recursive: true, force: true });
      }
    },
  };
}

/** The namespace, the /etc files and the hostname of a run. */
async function networkSetup(
  sandbox: OneShotSandbox | undefined,
  host: boolean,
  bundle: string,
  id: string | undefined,
): Promise<{ network: NetworkNamespace; mounts: OciMount[]; hostname?: string }> {
  if (!sandbox) {
    return host
      ? { network: { kind: 'host' }, mounts: HOST_NETWORK_FILES }
      : { network: { kind: 'new' }, mounts: [], hostname: id ? id.slice(0, 12) : 'buildkitsandbox' };
  }
  const files: [string, string, string][] = [
    ['hosts', '/etc/hosts', sandbox.hosts],
    ['resolv.conf', '/etc/resolv.conf', sandbox.resolvConf],
  ];
  const mounts: OciMount[] = [];
  for (const [name, destination, content] of files) {
    const source = path.join(bundle, name);
    await writeFile(source, content);
    mounts.push({ destination, type: 'bind', source, options: ['rbind', 'rprivate'] });
  }
  const network: NetworkNamespace = sandbox.host
    ? { kind: 'host' }
    : sandbox.netnsPath
      ? { kind: 'join', path: sandbox.netnsPath }
      : { kind: 'new' };
  return { network, mounts, hostname: sandbox.host ? undefined : sandbox.hostname };
}

// The runtime creates the mount points it needs (/proc, /dev, /sys, /etc/hosts …) and their parent
// directories when the image lacks them: they would land in the step's layer, which Docker's layers never
// show (its mount points live in an init layer below). What the runtime made is taken out of the upper
// dir again: files it made empty, directories it made that stayed empty.
type MountPointsBefore = { rel: string; before?: Stats }[];

async function statMountPoints(merged: string, mounts: OciMount[]): Promise<MountPointsBefore> {
  const rels = new Set<string>();
  for (const m of mounts) {
    for (let rel = m.destination.replace(/^\/+/, ''); rel && rel !== '.'; rel = path.dirname(rel)) rels.add(rel);
  }
  // deepest first, so that a directory is looked at after what the runtime made in it
  const sorted = [...rels].sort((a, b) => b.split('/').length - a.split('/').length);
  return Promise.all(sorted.map(async (rel) => ({ rel, before: await lstat(path.join(merged, rel)).catch(() => undefined) })));
}

async function removeMadeMountPoints(upper: string, points: MountPointsBefore): Promise<void> {
  for (const { rel, before } of points) {
    const file = path.join(upper, rel);
    const now = await lstat(file).catch(() => undefined);
    if (!now) continue;
    if (now.isFile() && !before && now.size === 0) await rm(file);
    // a directory the runtime made, left empty (one copied up from below stays: it may be opaque)
    else if (now.isDirectory() && !before && (await readdir(file)).length === 0) await rmdir(file).catch(() => {});
  }
}
