// The OneShotRunner with a sandbox from the step network layer: the process sees the given /etc/hosts,
// /etc/resolv.conf and hostname, and the mount points the runtime had to make for them stay out of the
// upper dir (the step's layer), as in Docker's layers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createOneShotRunner } from '../../../src/engine/runtime/oneshot.js';
import { enginePaths } from '../../../src/engine/paths.js';
import { busyboxRootfs } from './rootfs.js';

let root: string;
before(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'tsc-eng-oneshot-sb-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

const sandbox = {
  host: false,
  hostname: 'c0ffee123456',
  hosts: '127.0.0.1\tlocalhost\n10.1.2.3\tnamed.example\n',
  resolvConf: 'nameserver 192.0.2.53\n',
};

async function run(lower: string, name: string): Promise<{ out: string; upper: string }> {
  const runner = createOneShotRunner(enginePaths(path.join(root, 'state')));
  const upper = path.join(root, `upper-${name}`);
  let out = '';
  const { exitCode } = await runner.runOneShot({
    lowerDirs: [lower],
    upperDir: upper,
    env: [],
    sandbox,
    args: ['/bin/sh', '-c', 'cat /etc/hosts /etc/resolv.conf; hostname; ls /sys/class/net; echo made > /root/file'],
    onOutput: (c) => {
      out += c.toString();
    },
  });
  assert.equal(exitCode, 0, out);
  return { out, upper };
}

test('the sandbox files and hostname are what the process sees; no /etc/hosts or /etc/resolv.conf lands in the layer', async () => {
  const { out, upper } = await run(busyboxRootfs(path.join(root, 'lower')), 'etc');
  assert.match(out, /10\.1\.2\.3\tnamed\.example/);
  assert.match(out, /nameserver 192\.0\.2\.53/);
  assert.match(out, /^c0ffee123456$/m);
  assert.match(out, /^lo$/m);
  assert.ok(existsSync(path.join(upper, 'root', 'file')));
  assert.ok(!existsSync(path.join(upper, 'etc', 'hosts')), 'the /etc/hosts mount point is in the layer');
  assert.ok(!existsSync(path.join(upper, 'etc', 'resolv.conf')), 'the /etc/resolv.conf mount point is in the layer');
});

test('an image without /etc: the /etc the runtime made for the mount points is not in the layer either', async () => {
  const lower = busyboxRootfs(path.join(root, 'lower-noetc'));
  rmSync(path.join(lower, 'etc'), { recursive: true });
  const { upper } = await run(lower, 'noetc');
  assert.deepEqual(readdirSync(upper).sort(), ['root']);
});
