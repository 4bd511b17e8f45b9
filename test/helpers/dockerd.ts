// Starts Debian's dockerd for tests that run against a real Docker Engine, if it is not running.
import { spawn, spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';

export async function ensureDockerd(timeoutMs = 30000): Promise<boolean> {
  const ping = () =>
    spawnSync('docker', ['-H', 'unix:///var/run/docker.sock', 'info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8' }).status === 0;
  if (ping()) return true;
  if (spawnSync('which', ['dockerd']).status !== 0) return false;
  const log = openSync('/var/log/dockerd.log', 'a');
  spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log] }).unref();
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (ping()) return true;
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}
