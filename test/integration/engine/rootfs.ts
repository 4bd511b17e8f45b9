// A busybox root filesystem directory for engine tests that need a lower layer without an image store.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';

export function busyboxRootfs(dir: string): string {
  for (const d of ['bin', 'etc', 'tmp', 'root']) mkdirSync(path.join(dir, d), { recursive: true });
  chmodSync(path.join(dir, 'tmp'), 0o1777);
  copyFileSync('/bin/busybox', path.join(dir, 'bin', 'busybox'));
  chmodSync(path.join(dir, 'bin', 'busybox'), 0o755);
  execFileSync('/bin/busybox', ['--install', '-s', path.join(dir, 'bin')]);
  // --install -s links to the host path of busybox; repoint the links at /bin/busybox inside the rootfs
  execFileSync('/bin/sh', ['-c', `cd "${path.join(dir, 'bin')}" && for f in *; do [ -L "$f" ] && ln -sf /bin/busybox "$f"; done; true`]);
  writeFileSync(
    path.join(dir, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000:app:/home/app:/bin/sh\n',
  );
  writeFileSync(path.join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\napp:x:1000:\nextra:x:2000:app\n');
  return dir;
}
