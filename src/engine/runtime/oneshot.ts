// Runs one process to completion in a throwaway container: overlayfs from lowerDirs + upperDir, runc run,
// network none or host, output streamed, exit code returned, mounts and bundle removed afterwards.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { OneShotRunner } from '../contracts.js';
import type { EnginePaths } from '../paths.js';
import { OciRuntime, detectRuntimeBinary } from './oci-runtime.js';
import { mountOverlay, unmount } from './overlay.js';
import { buildOciSpec, type OciMount } from './spec.js';
import { resolveUser, userTablesAt } from './users.js';
import { exitCodeOf } from './exit-code.js';
import { DEFAULT_PATH, hasPath } from './default-path.js';

const HOST_NETWORK_FILES: OciMount[] = ['/etc/resolv.conf', '/etc/hosts'].map((f) => ({
  destination: f, type: 'bind', source: f, options: ['rbind', 'ro'],
}));

export function createOneShotRunner(paths: EnginePaths, runtime?: OciRuntime): OneShotRunner {
  let rt = runtime;
  return {
    async runOneShot(opts) {
      rt ??= new OciRuntime(detectRuntimeBinary(), path.join(paths.root, 'runc'));
      const id = `tsc-oneshot-${randomBytes(8).toString('hex')}`;
      const bundle = path.join(paths.tmp, id);
      const merged = path.join(bundle, 'rootfs');
      // the overlay work dir must live on the upper dir's filesystem
      const workDir = path.join(path.dirname(opts.upperDir), `.${path.basename(opts.upperDir)}-work-${id}`);
      await mkdir(bundle, { recursive: true });
      let mounted = false;
      try {
        await mountOverlay({ lowerDirs: opts.lowerDirs, upperDir: opts.upperDir, workDir, mergedDir: merged, emptyLower: path.join(bundle, 'empty') });
        mounted = true;
        const user = resolveUser(userTablesAt(merged), opts.user);
        const env = hasPath(opts.env) ? opts.env : [`PATH=${DEFAULT_PATH}`, ...opts.env];
        if (opts.workingDir) await mkdir(path.join(merged, opts.workingDir), { recursive: true });
        const spec = buildOciSpec({
          rootfs: merged, args: opts.args, env, cwd: opts.workingDir || '/', uid: user.uid, gid: user.gid,
          additionalGids: user.additionalGids, network: opts.network === 'host' ? { kind: 'host' } : { kind: 'new' },
          mounts: opts.network === 'host' ? HOST_NETWORK_FILES : [], hostname: opts.network === 'host' ? undefined : 'buildkitsandbox',
          cgroupsPath: `/tscompose/${id}`,
        });
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
        await rm(bundle, { recursive: true, force: true });
        await rm(workDir, { recursive: true, force: true });
      }
    },
  };
}
