// Volumes for real containers (runc over a busybox rootfs): named volumes seeded from the image and kept
// across container removal, anonymous volumes removed with the container, bind and tmpfs mounts.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EventBus } from '../../../src/engine/events.js';
import { enginePaths } from '../../../src/engine/paths.js';
import { createVolumeService, type LocalVolumeService } from '../../../src/engine/volumes/index.js';
import { busyboxRootfs, runInContainer } from './runc-container.js';
import { silentLogger } from '../../../src/engine/log.js';
import { isEngineError } from '../../../src/engine/errors.js';

describe('volumes with runc containers', () => {
  const tag = Math.random().toString(36).slice(2, 7);
  let work: string;
  let rootfs: string;
  let service: LocalVolumeService;
  let events: EventBus;
  const run = (id: string, mounts: Awaited<ReturnType<LocalVolumeService['resolve']>>[], script: string) =>
    runInContainer({ id: `tscn-vol-${tag}-${id}`, workDir: work, rootfs, mounts, args: ['sh', '-c', script] });

  before(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'tscn-vol-'));
    rootfs = await busyboxRootfs(path.join(work, 'rootfs'), { 'data/seed.txt': 'from image\n', 'cache/keep.txt': 'cached\n' });
    events = new EventBus();
    service = createVolumeService({ paths: enginePaths(path.join(work, 'engine')), events, log: silentLogger });
  });

  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('seeds a new named volume from the image and keeps its data after the container is removed', async () => {
    const m1 = await service.resolve('c1', { Type: 'volume', Source: 'appdata', Target: '/data' }, rootfs);
    const first = await run('c1', [m1], 'cat /data/seed.txt && echo written > /data/new.txt');
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'from image\n');
    await service.release('c1', true); // docker rm -v keeps named volumes

    writeFileSync(path.join(rootfs, 'data', 'seed.txt'), 'changed image\n');
    const m2 = await service.resolve('c2', { Type: 'volume', Source: 'appdata', Target: '/data' }, rootfs);
    const second = await run('c2', [m2], 'cat /data/seed.txt /data/new.txt');
    assert.equal(second.stdout, 'from image\nwritten\n'); // not seeded again: the volume was not empty
    await service.release('c2', false);
    writeFileSync(path.join(rootfs, 'data', 'seed.txt'), 'from image\n');
    assert.ok(events.since(0).some((e) => e.Type === 'volume' && e.Action === 'create' && e.Actor.ID === 'appdata'));
  });

  it('does not seed with nocopy', async () => {
    const m = await service.resolve('c3', { Type: 'volume', Source: 'empty', Target: '/data', VolumeOptions: { NoCopy: true } }, rootfs);
    const r = await run('c3', [m], 'ls -A /data | wc -l');
    assert.equal(r.stdout.trim(), '0');
    await service.release('c3', false);
  });

  it('refuses to remove a volume in use (409) and removes it once released', async () => {
    await service.resolve('c4', { Type: 'volume', Source: 'busy', Target: '/data' }, rootfs);
    await assert.rejects(
      service.remove('busy'),
      (err: Error) => isEngineError(err, 'conflict') && /volume is in use - \[c4\]/.test(err.message),
    );
    await service.release('c4', false);
    await service.remove('busy');
    assert.equal(await service.get('busy'), undefined);
  });

  it('creates an anonymous volume per mount and removes it with rm -v', async () => {
    const m = await service.resolve('c5', { Type: 'volume', Target: '/cache' }, rootfs);
    const name = path.basename(path.dirname(m.source));
    assert.match(name, /^[0-9a-f]{64}$/);
    const r = await run('c5', [m], 'cat /cache/keep.txt');
    assert.equal(r.stdout, 'cached\n');
    const again = await service.resolve('c5', { Type: 'volume', Target: '/cache' }, rootfs); // the container restarts
    assert.equal(again.source, m.source);
    await service.release('c5', true);
    assert.equal(await service.get(name), undefined);
    assert.equal(existsSync(m.source), false);
  });

  it('mounts a bind read-only, creating the host path when asked, and a sized tmpfs', async () => {
    const missing = path.join(work, 'host', 'missing');
    await assert.rejects(
      service.resolve('c6', { Type: 'bind', Source: missing, Target: '/mnt' }, rootfs),
      /bind source path does not exist/,
    );
    const bind = await service.resolve(
      'c6',
      { Type: 'bind', Source: missing, Target: '/mnt', ReadOnly: true, BindOptions: { CreateMountpoint: true } },
      rootfs,
    );
    writeFileSync(path.join(missing, 'host.txt'), 'host file\n');
    const tmpfs = await service.resolve(
      'c6',
      { Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 4 * 1024 * 1024, Mode: 0o700 } },
      rootfs,
    );
    const r = await run(
      'c6',
      [bind, tmpfs],
      'cat /mnt/host.txt; touch /mnt/x 2>/dev/null && echo writable || echo read-only; grep " /scratch " /proc/mounts; stat -c %a /scratch',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^host file\nread-only\n/);
    assert.match(r.stdout, /tmpfs \/scratch tmpfs rw,nosuid,nodev,[^\n]*size=4096k/);
    assert.match(r.stdout, /\n700\n$/);
    await service.release('c6', false);
  });

  it('records what a container mounted for VolumesFrom', async () => {
    await service.resolve('c7', { Type: 'volume', Source: 'shared', Target: '/shared', ReadOnly: true }, rootfs);
    assert.deepEqual(await service.mountsOf('c7'), [{ type: 'volume', source: 'shared', target: '/shared', readOnly: true }]);
    await service.release('c7', false);
    assert.deepEqual(await service.mountsOf('c7'), []);
  });

  it('uses a local bind-type volume device as the volume content', async () => {
    const device = path.join(work, 'device');
    mkdirSync(device);
    await service.create({ name: 'bound', options: { type: 'none', o: 'bind', device } });
    const m = await service.resolve('c8', { Type: 'volume', Source: 'bound', Target: '/data' }, rootfs);
    const r = await run('c8', [m], 'echo hi > /data/out.txt');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(path.join(device, 'out.txt'), 'utf8'), 'hi\n');
    assert.equal(readFileSync(path.join(device, 'seed.txt'), 'utf8'), 'from image\n');
    await service.release('c8', false);
  });
});
