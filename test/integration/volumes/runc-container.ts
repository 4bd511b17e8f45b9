// Runs one command in a throwaway runc container over a busybox rootfs, with the mounts volumes/ resolved.
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ResolvedMount } from '../../../src/engine/contracts.js';

const exec = promisify(execFile);

/** A minimal image rootfs: busybox and its applets, plus `files` (path → content). */
export async function busyboxRootfs(dir: string, files: Record<string, string> = {}): Promise<string> {
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  for (const d of ['proc', 'dev', 'sys', 'tmp', 'etc']) mkdirSync(path.join(dir, d), { recursive: true });
  copyFileSync('/bin/busybox', path.join(dir, 'bin', 'busybox'));
  chmodSync(path.join(dir, 'bin', 'busybox'), 0o755);
  await exec('chroot', [dir, '/bin/busybox', '--install', '-s', '/bin']);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runInContainer(opts: {
  id: string;
  workDir: string;
  rootfs: string;
  mounts: ResolvedMount[];
  args: string[];
}): Promise<RunResult> {
  const bundle = path.join(opts.workDir, `bundle-${opts.id}`);
  const runcRoot = path.join(opts.workDir, 'runc-state');
  mkdirSync(bundle, { recursive: true });
  await exec('runc', ['spec', '-b', bundle]);
  const specFile = path.join(bundle, 'config.json');
  const spec = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(specFile, 'utf8')));
  spec.process.terminal = false;
  spec.process.args = opts.args;
  spec.root = { path: opts.rootfs, readonly: false };
  spec.mounts.push(...opts.mounts.map((m) => ({ destination: m.destination, type: m.type, source: m.source, options: m.options })));
  writeFileSync(specFile, JSON.stringify(spec));
  try {
    const { stdout, stderr } = await exec('runc', ['--root', runcRoot, 'run', '-b', bundle, opts.id], { timeout: 20000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  } finally {
    await exec('runc', ['--root', runcRoot, 'delete', '-f', opts.id]).catch(() => undefined);
  }
}
