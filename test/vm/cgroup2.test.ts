// The bundled engine on a pure cgroup v2 host, which this project's machines (cgroup v1 hybrid) are not: boots a
// throwaway Debian guest whose only hierarchy is cgroup v2 (../shared/cgroup2-vm.sh beside the repository, QEMU) once and runs
// test/vm/cgroup2-smoke.sh in it with the engine's own runtime choice, then runc, then crun, from dist/.
// Skips, saying why, where no guest can run (not root, no QEMU outside CI, TSCOMPOSE_SKIP_VM=1); in CI it runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const dir = path.dirname(new URL(import.meta.url).pathname);
const repo = path.resolve(dir, '../..');
const TIMEOUT_S = 1500;
const VM = path.resolve(repo, '../shared/cgroup2-vm.sh');

function unavailable(): string | undefined {
  if (process.env.TSCOMPOSE_SKIP_VM === '1') return 'TSCOMPOSE_SKIP_VM=1';
  if (process.getuid?.() !== 0) return 'the guest and the engine in it need root';
  if (!existsSync(VM)) return `${VM} is missing (the shared harnesses live beside the repository)`;
  if (!existsSync(path.join(repo, 'dist/cli/main.js'))) return 'dist/ is missing: npm run build (npm test does)';
  // cgroup2-vm.sh installs QEMU with apt itself; outside CI a machine without it is not made to
  if (!process.env.CI && spawnSync('sh', ['-c', 'command -v qemu-system-x86_64']).status !== 0) {
    return 'qemu-system-x86_64 is not installed (apt-get install qemu-system-x86 cpio kmod busybox-static); CI installs it';
  }
  return undefined;
}

const reason = unavailable();
test(
  'the engine on a pure cgroup v2 host (QEMU guest): its own runtime choice, runc, crun',
  { skip: reason ?? false, timeout: (TIMEOUT_S + 120) * 1000 },
  async () => {
    const child = spawn('bash', [VM, '--timeout', String(TIMEOUT_S), '--', 'bash', 'test/vm/cgroup2-smoke.sh'], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    for (const s of [child.stdout, child.stderr])
      s.on('data', (d: Buffer) => {
        out += d;
        process.stdout.write(d.toString().replace(/^/gm, '# vm: '));
      });
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    assert.equal(
      code,
      0,
      out
        .split('\n')
        .filter((l) => l.startsWith('not ok') || l.startsWith('#') || /cgroup2-vm/.test(l))
        .join('\n'),
    );
    assert.match(out, /# 0 of \d+ failed/);
  },
);
