// Test images without any registry: a `FROM scratch` build context around Debian's static busybox.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, copyFileSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BUSYBOX_BINARY = '/bin/busybox';

/** A temporary build context: busybox at /bin/busybox with its applets installed as symlinks. */
export function busyboxContext(extraDockerfileLines: string[] = [], files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tscompose-bb-'));
  copyFileSync(BUSYBOX_BINARY, path.join(dir, 'busybox'));
  chmodSync(path.join(dir, 'busybox'), 0o755);
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  writeFileSync(
    path.join(dir, 'Dockerfile'),
    ['FROM scratch', 'COPY busybox /bin/busybox', 'RUN ["/bin/busybox", "--install", "-s", "/bin"]', ...extraDockerfileLines, ''].join(
      '\n',
    ),
  );
  return dir;
}

/** Builds the busybox image as `tag` with the docker CLI (legacy builder) on the engine at `host`
 *  (`unix://…`); the build's failure fails the test. */
export function buildBusyboxImage(host: string, tag: string): void {
  const ctx = busyboxContext();
  try {
    const r = spawnSync('docker', ['-H', host, 'build', '-q', '-t', tag, ctx], {
      encoding: 'utf8',
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
    });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}
