// The image store through its HTTP routes, driven by the docker CLI and dockerode.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { EventBus } from '../../../src/engine/events.js';
import { createImageService } from '../../../src/engine/images/index.js';
import { enginePaths } from '../../../src/engine/paths.js';
import { ensureDockerd } from '../../helpers/dockerd.js';
import { dockerSaveBusybox, ociArchiveFrom, tarball, tempDir, uniqueName } from './fixtures.js';
import { dockerCli, type ImageTestServer, startImageServer } from './server.js';
import { silentLogger } from '../../../src/engine/log.js';

describe('image store routes', () => {
  let srv: ImageTestServer;
  let work: string;
  let saved: string;
  const tag = uniqueName();

  before(async () => {
    assert.ok(await ensureDockerd(), 'dockerd is needed to make a docker save archive');
    srv = await startImageServer();
    work = tempDir();
    saved = path.join(work, 'busybox.tar');
    dockerSaveBusybox(`${tag}:v1`, saved, ['CMD ["sh"]', 'LABEL tsc.test=yes']);
  });
  after(async () => {
    await srv?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('docker load of a docker save archive, then list / inspect / resolve', async () => {
    const r = await dockerCli(srv.socket, ['load', '-i', saved]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Loaded image: ${tag}:v1`));
    const rec = await srv.service.resolve(`${tag}:v1`);
    assert.ok(rec);
    assert.deepEqual(rec.repoTags, [`docker.io/library/${tag}:v1`]);
    assert.deepEqual(rec.config.Cmd, ['sh']);
    assert.equal(rec.layerDirs.length, 2);
    assert.ok(fs.statSync(path.join(rec.layerDirs[0]!, 'bin/busybox')).isFile());
    assert.equal(fs.readlinkSync(path.join(rec.layerDirs[1]!, 'bin/ls')), '/bin/busybox');
    assert.equal((await srv.service.resolve(rec.id.slice(7, 19)))?.id, rec.id, 'resolves by short id');

    const list = await srv.docker.listImages({ filters: { label: ['tsc.test=yes'] } });
    assert.deepEqual(
      list.map((i) => i.RepoTags),
      [[`${tag}:v1`]],
    );
    const inspect = await srv.docker.getImage(`${tag}:v1`).inspect();
    assert.equal(inspect.Id, rec.id);
    assert.deepEqual(inspect.RootFS.Layers?.length, 2);
    const cli = await dockerCli(srv.socket, ['image', 'inspect', '--format', '{{.Config.Labels}}', `${tag}:v1`]);
    assert.equal(cli.stdout.trim(), 'map[tsc.test:yes]');
  });

  test('the store survives a restart (a new service on the same state root)', async () => {
    const again = createImageService(
      { paths: enginePaths(path.join(srv.root, 'state')), events: new EventBus(), log: silentLogger },
      {
        async runOneShot() {
          return { exitCode: 1 };
        },
      },
    );
    const rec = await again.resolve(`${tag}:v1`);
    assert.equal(rec?.id, (await srv.service.resolve(`${tag}:v1`))?.id);
    assert.deepEqual(rec?.repoTags, [`docker.io/library/${tag}:v1`]);
  });

  test('docker load of an OCI layout archive (skopeo) shares the already unpacked layers', async () => {
    const oci = path.join(work, 'oci.tar');
    ociArchiveFrom(saved, oci, `localhost:5000/tsc/${tag}:oci`);
    const layersBefore = fs.readdirSync(path.join(srv.root, 'state/layers')).length;
    const r = await dockerCli(srv.socket, ['load', '-i', oci]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Loaded image: localhost:5000/tsc/${tag}:oci`));
    const rec = await srv.service.resolve(`localhost:5000/tsc/${tag}:oci`);
    assert.ok(rec);
    assert.equal(fs.readdirSync(path.join(srv.root, 'state/layers')).length, layersBefore);
    assert.ok(fs.statSync(path.join(rec.layerDirs[0]!, 'bin/busybox')).isFile());
  });

  test('docker import of a gzip rootfs tarball with --change', async () => {
    const rootfs = await tarball([
      { name: 'etc/', type: 'directory', mode: 0o755 },
      { name: 'etc/motd', content: 'hello\n', mode: 0o640, uid: 1000, gid: 1000 },
      { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' },
    ]);
    const r = await dockerCli(
      srv.socket,
      ['import', '--change', 'CMD ["/bin/sh"]', '--change', 'ENV A=1', '-', `${tag}-imported:1`],
      zlib.gzipSync(rootfs),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^sha256:[a-f0-9]{64}/);
    const rec = await srv.service.resolve(`${tag}-imported:1`);
    assert.ok(rec);
    assert.deepEqual(rec.config.Cmd, ['/bin/sh']);
    assert.deepEqual(rec.config.Env, ['A=1']);
    const motd = path.join(rec.layerDirs[0]!, 'etc/motd');
    assert.equal(fs.readFileSync(motd, 'utf8'), 'hello\n');
    const st = fs.statSync(motd);
    assert.equal(st.mode & 0o777, 0o640);
    assert.equal(st.uid, 1000);
  });

  test('tag, reference filter, remove semantics and the usage probe', async () => {
    const ref = `${tag}:v1`;
    await srv.docker.getImage(ref).tag({ repo: `${tag}-alias`, tag: 'x' });
    const byRef = await srv.docker.listImages({ filters: { reference: [`${tag}-alias`] } });
    assert.equal(byRef.length, 1);
    assert.deepEqual(byRef[0]!.RepoTags?.sort(), [`${tag}-alias:x`, ref]);
    const id = byRef[0]!.Id;

    await assert.rejects(srv.docker.getImage(id).remove(), /referenced in multiple repositories/);
    const untagged = await srv.docker.getImage(`${tag}-alias:x`).remove();
    assert.deepEqual(untagged, [{ Untagged: `${tag}-alias:x` }]);

    srv.service.setUsageProbe((imageId) => (imageId === id ? ['c0ffee0000000000'] : []));
    await assert.rejects(srv.docker.getImage(ref).remove(), /being used by container c0ffee/);
    const forced = await srv.docker.getImage(ref).remove({ force: true });
    assert.deepEqual(forced, [{ Untagged: ref }], 'an image in use is only untagged');
    const dangling = await srv.docker.listImages({ filters: { dangling: ['true'] } });
    assert.ok(dangling.some((i) => i.Id === id));

    srv.service.setUsageProbe(() => []);
    const removed = await srv.docker.getImage(id).remove();
    assert.deepEqual(removed, [{ Deleted: id }]);
    assert.equal(await srv.service.resolve(id), undefined);
    const rec = await srv.service.resolve(`localhost:5000/tsc/${tag}:oci`);
    assert.ok(rec && fs.existsSync(rec.layerDirs[0]!), 'layers shared with another image stay');
    await assert.rejects(srv.docker.getImage('tsc-img-does-not-exist').inspect(), /No such image/);
  });

  test('hostile archives are refused (the error in the load stream, as Docker) and store nothing', async () => {
    const loadError = async (archive: Buffer): Promise<string> => {
      let text = '';
      for await (const chunk of (await srv.docker.loadImage(Readable.from([archive]))) as NodeJS.ReadableStream) text += chunk.toString();
      const last = JSON.parse(text.trim().split('\n').pop()!) as { error?: string; errorDetail?: { message: string } };
      assert.equal(last.errorDetail?.message, last.error);
      return last.error ?? `no error in ${text}`;
    };
    const evilLayer = await tarball([{ name: '../../../../tmp/tsc-img-evil', content: 'x' }]);
    const config = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: ['sha256:' + createHash('sha256').update(evilLayer).digest('hex')] },
    });
    const archive = await tarball([
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', RepoTags: ['tsc-img-evil:1'], Layers: ['l/layer.tar'] }]) },
      { name: 'c.json', content: config },
      { name: 'l/layer.tar', content: evilLayer },
    ]);
    const imagesBefore = (await srv.service.list()).length;
    const blobs = () => fs.readdirSync(path.join(srv.root, 'state/images/blobs/sha256')).length;
    const blobsBefore = blobs();
    assert.match(await loadError(archive), /invalid image content.*outside (its|the layer) root/);
    assert.equal(fs.existsSync('/tmp/tsc-img-evil'), false);
    assert.equal(blobs(), blobsBefore);
    const traversal = await tarball([{ name: 'manifest.json', content: JSON.stringify([{ Config: '../../etc/passwd', Layers: [] }]) }]);
    assert.match(await loadError(traversal), /missing "..\/..\/etc\/passwd"/);
    const badDiff = await tarball([
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', Layers: ['l.tar'] }]) },
      {
        name: 'c.json',
        content: JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: ['sha256:../../../../../tmp'] },
        }),
      },
      { name: 'l.tar', content: await tarball([{ name: 'f', content: 'x' }]) },
    ]);
    assert.match(await loadError(badDiff), /invalid layer diffID/);
    assert.equal((await srv.service.list()).length, imagesBefore);
    assert.equal(blobs(), blobsBefore);
  });

  test('image prune removes dangling images only', async () => {
    const rootfs = await tarball([{ name: 'only-here', content: 'x' }]);
    const r = await dockerCli(srv.socket, ['import', '-'], rootfs);
    assert.equal(r.status, 0, r.stderr);
    const danglingId = r.stdout.trim();
    const pruned = await srv.docker.pruneImages();
    assert.deepEqual(pruned.ImagesDeleted, [{ Deleted: danglingId }]);
    assert.equal(await srv.service.resolve(danglingId), undefined);
    assert.ok(await srv.service.resolve(`${tag}-imported:1`), 'tagged images stay');
  });

  test('docker save from the store loads into the real Docker Engine', async () => {
    const name = `localhost:5000/tsc/${tag}:oci`;
    const out = path.join(work, 'resaved.tar');
    const stream = await srv.docker.getImage(name).get();
    await new Promise<void>((resolve, reject) => stream.pipe(fs.createWriteStream(out)).on('finish', resolve).on('error', reject));
    const r = await dockerCli('/var/run/docker.sock', ['load', '-i', out]);
    try {
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`Loaded image: ${name}`));
    } finally {
      await dockerCli('/var/run/docker.sock', ['rmi', '-f', name]);
    }
  });
});
