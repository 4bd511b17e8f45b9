// The engines the lifecycle suite runs against: Docker when dockerd is reachable, the bundled engine
// when TSCOMPOSE_TEST_BUNDLED=1 or when its daemon starts (probed on a temp state root and socket).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { ensureDockerd } from '../../helpers/dockerd.js';

export const REPO = path.resolve(import.meta.dirname, '../../..');
export const CLI = path.join(REPO, 'dist/cli/main.js');

export interface EngineTarget {
  name: 'docker' | 'bundled';
  /** global flags and env for the CLI */
  flags: string[];
  env: Record<string, string>;
  docker: Docker;
  stop(): Promise<void>;
}

export async function dockerTarget(): Promise<EngineTarget | undefined> {
  if (!(await ensureDockerd())) return undefined;
  return { name: 'docker', flags: ['--engine', 'docker'], env: {}, docker: new Docker(), async stop() {} };
}

/** The engines that are here, the bundled one first. */
export async function availableTargets(): Promise<EngineTarget[]> {
  const found: EngineTarget[] = [];
  for (const t of [await bundledTarget(), await dockerTarget()]) if (t) found.push(t);
  return found;
}

export async function bundledTarget(): Promise<EngineTarget | undefined> {
  const required = process.env.TSCOMPOSE_TEST_BUNDLED === '1';
  if (!required && !existsSync(path.join(REPO, 'src/engine/engine.ts'))) return undefined;
  const root = mkdtempSync(path.join(os.tmpdir(), 'tsc-e2e-engine-'));
  const socket = path.join(root, 'engine.sock');
  const log = openSync(path.join(root, 'test-engine.log'), 'a');
  const child: ChildProcess = spawn(process.execPath, [CLI, 'engine', '--root', root, '--socket', socket], { stdio: ['ignore', log, log] });
  let exited = false;
  const exit = new Promise<void>((r) =>
    child.once('exit', () => {
      exited = true;
      r();
    }),
  );
  const docker = new Docker({ socketPath: socket });
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      await Promise.race([exit, new Promise((r) => setTimeout(r, 5000))]);
      if (!exited) {
        child.kill('SIGKILL');
        await exit;
      }
    }
    rmSync(root, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline && !exited) {
    try {
      await docker.ping();
      return {
        name: 'bundled',
        flags: ['--engine', 'bundled'],
        env: { TSCOMPOSE_STATE_ROOT: root, TSCOMPOSE_ENGINE_SOCKET: socket },
        docker,
        stop,
      };
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  if (required) throw new Error('TSCOMPOSE_TEST_BUNDLED=1 but the bundled engine did not start');
  return undefined;
}
