// Test images without any registry: a `FROM scratch` build context around Debian's static busybox.
import { mkdtempSync, copyFileSync, writeFileSync, chmodSync } from 'node:fs';
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
