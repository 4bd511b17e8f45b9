// Runs the built CLI (dist/cli/main.js) with a clean environment.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = path.join(repo, 'dist/cli/main.js');
const cleanEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' };

export function runCli(args: string[], cwd: string, input?: string) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, env: cleanEnv, encoding: 'utf8', input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
