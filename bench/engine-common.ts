// What bench/engine.ts and bench/engine-timeline.ts share: the floor (bare `runc run` of a prepared bundle) and
// starting a bundled engine and waiting for it to answer.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ShellTimer } from './lib.js';

const repo = path.resolve(fileURLToPath(new URL('..', import.meta.url)));

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

/** The bundled engine as its own daemon on a state root under `dir` (dist/ when built, the sources otherwise;
 *  `main`: another build's dist/cli/main.js), its socket and root named after `name`. */
export async function startDaemon(
  dir: string,
  opts: { name?: string; main?: string } = {},
): Promise<{ child: ChildProcess; socket: string; root: string }> {
  const socket = path.join(dir, opts.name ? `${opts.name}.sock` : 'engine.sock');
  const root = path.join(dir, opts.name ?? 'state');
  const dist = path.join(repo, 'dist', 'cli', 'main.js');
  const args = opts.main ? [opts.main] : existsSync(dist) ? [dist] : ['--import', 'tsx', path.join(repo, 'src', 'cli', 'main.ts')];
  const child = spawn(process.execPath, [...args, 'engine', '--root', root, '--socket', socket], { stdio: 'ignore' });
  try {
    await waitForEngine(socket);
  } catch (err) {
    child.kill();
    throw err;
  }
  return { child, socket, root };
}
