// What bench/engine.ts and bench/engine-timeline.ts share: the floor (bare `runc run` of a prepared bundle) and
// waiting for a bundled engine to answer.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import type { ShellTimer } from './lib.js';

export function mustRun(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${r.stderr?.slice(0, 400)}`);
}

/** The floor: runc alone running `true` from a prepared bundle (busybox rootfs, `runc spec` config). */
export function prepareRuncFloor(dir: string, shell: ShellTimer): () => Promise<number> {
  const bundle = path.join(dir, 'bundle');
  mkdirSync(path.join(bundle, 'rootfs', 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', path.join(bundle, 'rootfs', 'bin', 'busybox'));
  mustRun('runc', ['spec', '--bundle', bundle]);
  const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['/bin/busybox', 'true'];
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
  const root = path.join(dir, 'runc-root');
  return () => shell.time('runc', ['--root', root, 'run', '--bundle', bundle, 'tsc-bench-floor']);
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
  });
}

/** Resolves once the engine at `socket` answers /_ping (30 s at most). */
export async function waitForEngine(socket: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await ping(socket)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the bundled engine did not start');
}
