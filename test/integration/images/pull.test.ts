// Registry pulls against Debian's docker-registry on 127.0.0.1: anonymous, basic auth, bearer tokens,
// manifest lists, gzip + zstd layers, resume, and digest verification.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { tarball, tempDir } from './fixtures.js';
import { blobDataPath, pushManifest, pushTestImage, startRegistry, startTokenFront, type TestRegistry } from './registry.js';
import { dockerCli, type ImageTestServer, startImageServer } from './server.js';

async function pull(srv: ImageTestServer, ref: string, authconfig?: object): Promise<any[]> {
  const stream = await srv.docker.pull(ref, authconfig ? { authconfig } : {});
  const events: any[] = await new Promise((resolve, reject) =>
    srv.docker.modem.followProgress(stream as unknown as NodeJS.ReadableStream, (err: Error | null, res: any[]) =>
      err ? reject(err) : resolve(res),
    ),
  );
  const failed = events.find((e) => e.error);
  if (failed) throw new Error(failed.error);
  return events;
}

const blobCount = (srv: ImageTestServer) => fs.readdirSync(path.join(srv.root, 'state/images/blobs/sha256')).length;

describe('registry pull', () => {
  let srv: ImageTestServer;
  let reg: TestRegistry;

  before(async () => {
    srv = await startImageServer();
    reg = await startRegistry();
  });
  after(async () => {
    await reg?.stop();
    await srv?.close();
  });

  test('docker pull of a schema 2 image (gzip layers, whiteouts) with the docker CLI', async () => {
    const pushed = await pushTestImage(reg, 'tsc/plain', 'v1');
    const r = await dockerCli(srv.socket, ['pull', `${reg.host}/tsc/plain:v1`]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Pull complete/);
    assert.match(r.stdout, new RegExp(`Digest: ${pushed.digest}`));
    assert.match(r.stdout, /Status: Downloaded newer image for 127\.0\.0\.1:\d+\/tsc\/plain:v1/);
    const rec = await srv.service.resolve(`${reg.host}/tsc/plain:v1`);
    assert.ok(rec);
    assert.equal(rec.id, pushed.configDigest);
    assert.deepEqual(rec.repoDigests, [`${reg.host}/tsc/plain@${pushed.digest}`]);
    assert.equal(fs.readFileSync(path.join(rec.layerDirs[0]!, 'etc/one'), 'utf8'), 'one tsc/plain\n');
    assert.ok(fs.lstatSync(path.join(rec.layerDirs[1]!, 'gone')).isCharacterDevice(), 'whiteout applied');
    const again = await dockerCli(srv.socket, ['pull', `${reg.host}/tsc/plain:v1`]);
    assert.match(again.stdout, /Image is up to date/);
    assert.equal((await srv.service.resolve(`${reg.host}/tsc/plain@${pushed.digest}`))?.id, rec.id, 'resolves by repo digest');
  });

  test('OCI index picks the host platform; zstd layers', async () => {
    const amd = await pushTestImage(reg, 'tsc/multi', 'amd64-only', { oci: true });
    const other = await pushTestImage(reg, 'tsc/multi', 'arm-only', {
      oci: true,
      layerBytes: [await tarball([{ name: 'arm', content: 'arm' }])],
    });
    const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: other.digest,
          size: other.size,
          platform: { os: 'linux', architecture: 's390x' },
        },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: amd.digest,
          size: amd.size,
          platform: { os: 'linux', architecture: arch },
        },
      ],
    };
    const indexDigest = await pushManifest(reg, 'tsc/multi', 'latest', index, 'application/vnd.oci.image.index.v1+json');
    await pull(srv, `${reg.host}/tsc/multi`);
    const rec = await srv.service.resolve(`${reg.host}/tsc/multi:latest`);
    assert.equal(rec?.id, amd.configDigest);
    assert.deepEqual(rec?.repoDigests, [`${reg.host}/tsc/multi@${indexDigest}`]);
    assert.equal(fs.readFileSync(path.join(rec!.layerDirs[1]!, 'etc/two'), 'utf8'), 'two\n', 'zstd layer unpacked');
  });

  test('layers already in the store are not downloaded again', async () => {
    const shared = await tarball([{ name: 'shared', content: 'same bytes' }]);
    await pushTestImage(reg, 'tsc/share-a', 'v1', { layerBytes: [shared] });
    await pushTestImage(reg, 'tsc/share-b', 'v1', { layerBytes: [shared, await tarball([{ name: 'own', content: 'b' }])] });
    await pull(srv, `${reg.host}/tsc/share-a:v1`);
    const events = await pull(srv, `${reg.host}/tsc/share-b:v1`);
    assert.equal(events.filter((e) => e.status === 'Already exists').length, 1);
    assert.equal(events.filter((e) => e.status === 'Pull complete').length, 1);
  });

  test('a tampered blob fails the pull and stores nothing', async () => {
    const pushed = await pushTestImage(reg, 'tsc/tampered', 'v1', {
      layerBytes: [await tarball([{ name: 'big', content: randomBytes(4096).toString('hex') }])],
    });
    const data = blobDataPath(reg, pushed.layers[0]!.digest);
    const bytes = fs.readFileSync(data);
    bytes[bytes.length >> 1] ^= 0xff;
    fs.writeFileSync(data, bytes);
    const before = blobCount(srv);
    const layersBefore = fs.readdirSync(path.join(srv.root, 'state/layers')).length;
    await assert.rejects(pull(srv, `${reg.host}/tsc/tampered:v1`), /digest mismatch/);
    assert.equal(blobCount(srv), before);
    assert.equal(fs.readdirSync(path.join(srv.root, 'state/layers')).length, layersBefore);
    assert.equal(await srv.service.resolve(`${reg.host}/tsc/tampered:v1`), undefined);
  });

  test('a build FROM an image missing from the store pulls it first', async () => {
    const pushed = await pushTestImage(reg, 'tsc/base', 'v1');
    const context = await tarball([
      { name: 'Dockerfile', content: `FROM ${reg.host}/tsc/base:v1\nCOPY a.txt /a.txt\n` },
      { name: 'a.txt', content: 'a' },
    ]);
    const stream = await srv.docker.buildImage(Readable.from([context]), { t: 'tsc-img-from-pulled' });
    const events: any[] = await new Promise((resolve, reject) =>
      srv.docker.modem.followProgress(stream as unknown as NodeJS.ReadableStream, (err: Error | null, res: any[]) =>
        err ? reject(err) : resolve(res),
      ),
    );
    assert.ok(!events.some((e) => e.error), JSON.stringify(events.filter((e) => e.error)));
    assert.equal((await srv.service.resolve(`${reg.host}/tsc/base:v1`))?.id, pushed.configDigest);
    const built = await srv.service.resolve('tsc-img-from-pulled');
    assert.equal(built?.layerDirs.length, 3);
    assert.deepEqual(built?.config.Cmd, ['/bin/true'], 'config inherited from the pulled base');
  });

  test('unknown tags and repositories are clean errors', async () => {
    await assert.rejects(pull(srv, `${reg.host}/tsc/nope:v9`), /manifest for .* not found/);
    const r = await dockerCli(srv.socket, ['pull', `${reg.host}/tsc/plain:nope`]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /not found/);
  });

  test('bearer token flow through a token server, with a broken download resumed', async () => {
    const big = await tarball([{ name: 'random.bin', content: randomBytes(256 * 1024) as unknown as string }]);
    await pushTestImage(reg, 'tsc/token', 'v1', { layerBytes: [big] });
    const front = await startTokenFront(reg, { cutFirstBlob: true });
    try {
      const events = await pull(srv, `${front.host}/tsc/token:v1`);
      assert.ok(!events.some((e) => e.error), JSON.stringify(events.filter((e) => e.error)));
      assert.ok(front.seen.tokenRequests >= 1, 'a token was fetched from the realm');
      assert.ok(front.seen.rangeRequests >= 1, 'the broken download resumed with a Range request');
      const rec = await srv.service.resolve(`${front.host}/tsc/token:v1`);
      assert.equal(fs.statSync(path.join(rec!.layerDirs[0]!, 'random.bin')).size, 256 * 1024);
    } finally {
      await front.stop();
    }
  });
});

describe('registry pull with basic auth', () => {
  let srv: ImageTestServer;
  let reg: TestRegistry;
  let dockerConfig: string;
  const savedDockerConfig = process.env.DOCKER_CONFIG;

  before(async () => {
    srv = await startImageServer();
    reg = await startRegistry({ user: 'tscuser', password: 'tsc-secret' });
    await pushTestImage(reg, 'tsc/private', 'v1');
    dockerConfig = tempDir('tsc-img-dockercfg-');
  });
  after(async () => {
    if (savedDockerConfig === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = savedDockerConfig;
    fs.rmSync(dockerConfig, { recursive: true, force: true });
    await reg?.stop();
    await srv?.close();
  });

  test('without credentials the pull is denied', async () => {
    process.env.DOCKER_CONFIG = dockerConfig; // empty: no config.json
    await assert.rejects(pull(srv, `${reg.host}/tsc/private:v1`), /access denied|authentication required/);
    await assert.rejects(
      pull(srv, `${reg.host}/tsc/private:v1`, { username: 'tscuser', password: 'wrong', serveraddress: reg.host }),
      /unauthorized/,
    );
  });

  test('credentials from X-Registry-Auth', async () => {
    await pull(srv, `${reg.host}/tsc/private:v1`, { username: 'tscuser', password: 'tsc-secret', serveraddress: reg.host });
    assert.ok(await srv.service.resolve(`${reg.host}/tsc/private:v1`));
    await srv.docker.getImage(`${reg.host}/tsc/private:v1`).remove();
  });

  test('a build pulls a private base with X-Registry-Config credentials', async () => {
    const context = await tarball([{ name: 'Dockerfile', content: `FROM ${reg.host}/tsc/private:v1\nLABEL built=1\n` }]);
    const stream = await srv.docker.buildImage(Readable.from([context]), {
      t: 'tsc-img-private-child',
      registryconfig: { [reg.host]: { username: 'tscuser', password: 'tsc-secret' } },
    } as any);
    const events: any[] = await new Promise((resolve, reject) =>
      srv.docker.modem.followProgress(stream as unknown as NodeJS.ReadableStream, (err: Error | null, res: any[]) =>
        err ? reject(err) : resolve(res),
      ),
    );
    assert.ok(!events.some((e) => e.error), JSON.stringify(events.filter((e) => e.error)));
    assert.ok(await srv.service.resolve('tsc-img-private-child'));
    await srv.docker.getImage('tsc-img-private-child').remove();
    await srv.docker.getImage(`${reg.host}/tsc/private:v1`).remove();
  });

  test('credentials from config.json', async () => {
    fs.writeFileSync(
      path.join(dockerConfig, 'config.json'),
      JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('tscuser:tsc-secret').toString('base64') } } }),
    );
    process.env.DOCKER_CONFIG = dockerConfig;
    await pull(srv, `${reg.host}/tsc/private:v1`);
    assert.ok(await srv.service.resolve(`${reg.host}/tsc/private:v1`));
  });
});
