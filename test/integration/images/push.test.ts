// POST /images/{name}/push against Debian's docker-registry on 127.0.0.1, driven by the docker CLI: a
// real round trip (push, remove, pull back into the bundled engine and into Docker Engine, run it),
// `tscompose push` on Docker Engine,
// credentials from X-Registry-Auth, and a registry's answers treated as untrusted.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { ensureDockerd } from '../../helpers/dockerd.js';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { tarball } from './fixtures.js';
import { startRegistry, type TestRegistry } from './registry.js';
import { dockerCli, type ImageTestServer, startImageServer } from './server.js';

const CLI = path.resolve(import.meta.dirname, '../../../dist/cli/main.js');

/** A one-layer image around the host's static busybox whose command prints a line. */
async function importBusybox(srv: ImageTestServer, name: string, line: string): Promise<string> {
  const rootfs = await tarball([
    { name: 'bin/', type: 'directory', mode: 0o755 },
    { name: 'bin/busybox', content: fs.readFileSync('/bin/busybox'), mode: 0o755 },
  ]);
  const image = await srv.service.importImage({
    source: Readable.from(rootfs),
    name,
    changes: [`CMD ["/bin/busybox", "echo", "${line}"]`],
  });
  return image.id;
}

const manifestDigest = async (reg: TestRegistry, repo: string, tag: string, accept = 'application/vnd.oci.image.manifest.v1+json') => {
  const res = await fetch(`http://${reg.host}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { Accept: accept, ...(reg.authHeader ? { Authorization: reg.authHeader } : {}) },
  });
  return res.status === 200 ? res.headers.get('docker-content-digest') : `status ${res.status}`;
};

/** The pushed manifest's layers are gzip blobs (as Docker pushes them), smaller than the layer, and each
 *  decompresses to the layer the config's diff_ids name. */
async function assertGzipLayers(reg: TestRegistry, repo: string, tag: string): Promise<void> {
  const get = (p: string, accept?: string) =>
    fetch(`http://${reg.host}/v2/${repo}/${p}`, {
      headers: { ...(accept ? { Accept: accept } : {}), ...(reg.authHeader ? { Authorization: reg.authHeader } : {}) },
    });
  const manifest = (await (await get(`manifests/${tag}`, 'application/vnd.oci.image.manifest.v1+json')).json()) as {
    config: { digest: string };
    layers: { mediaType: string; digest: string; size: number }[];
  };
  const config = (await (await get(`blobs/${manifest.config.digest}`)).json()) as { rootfs: { diff_ids: string[] } };
  assert.equal(manifest.layers.length, config.rootfs.diff_ids.length);
  for (const [i, layer] of manifest.layers.entries()) {
    assert.match(layer.mediaType, /gzip$/);
    const blob = Buffer.from(await (await get(`blobs/${layer.digest}`)).arrayBuffer());
    assert.equal(blob.length, layer.size);
    assert.equal(`sha256:${createHash('sha256').update(blob).digest('hex')}`, layer.digest);
    const tar = gunzipSync(blob);
    assert.ok(blob.length < tar.length, `layer ${i} is smaller compressed (${blob.length} < ${tar.length})`);
    assert.equal(`sha256:${createHash('sha256').update(tar).digest('hex')}`, config.rootfs.diff_ids[i]);
  }
}

describe('registry push', () => {
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

  test(
    'docker push uploads every blob and the manifest; the image comes back by pull into the bundled engine and Docker Engine, and runs',
    { timeout: 180_000 },
    async () => {
      const ref = `${reg.host}/tsc/roundtrip:v1`;
      const id = await importBusybox(srv, ref, 'pushed and pulled');
      const push = await dockerCli(srv.socket, ['push', ref]);
      assert.equal(push.status, 0, push.stderr);
      assert.match(push.stdout, /The push refers to repository \[127\.0\.0\.1:\d+\/tsc\/roundtrip\]/);
      assert.match(push.stdout, /: Pushed/);
      const digest = /v1: digest: (sha256:[a-f0-9]{64}) size: \d+/.exec(push.stdout)?.[1];
      assert.ok(digest, push.stdout);
      assert.equal(await manifestDigest(reg, 'tsc/roundtrip', 'v1'), digest);
      await assertGzipLayers(reg, 'tsc/roundtrip', 'v1');
      assert.deepEqual(
        (await srv.service.resolve(ref))?.repoDigests,
        [`${reg.host}/tsc/roundtrip@${digest}`],
        'the push records the repo digest',
      );

      const again = await dockerCli(srv.socket, ['push', ref]);
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stdout, /Layer already exists/);
      assert.doesNotMatch(again.stdout, /: Pushed/);

      assert.equal((await dockerCli(srv.socket, ['rmi', ref])).status, 0);
      assert.equal(await srv.service.resolve(ref), undefined);
      const pull = await dockerCli(srv.socket, ['pull', ref]);
      assert.equal(pull.status, 0, pull.stderr);
      assert.equal((await srv.service.resolve(ref))?.id, id, 'the same image (config digest) comes back');

      if (!(await ensureDockerd())) return; // the bundled half of the round trip has run; Docker Engine is not here
      const docker = (args: string[]) =>
        spawnSync('docker', ['-H', 'unix:///var/run/docker.sock', ...args], { encoding: 'utf8', timeout: 120_000 });
      try {
        const pulled = docker(['pull', ref]);
        assert.equal(pulled.status, 0, pulled.stderr);
        assert.match(pulled.stdout, new RegExp(`Digest: ${digest}`));
        const run = docker(['run', '--rm', ref]);
        assert.equal(run.status, 0, run.stderr);
        assert.equal(run.stdout, 'pushed and pulled\n');
      } finally {
        docker(['rmi', '-f', ref]);
      }
    },
  );

  test(
    'tscompose push on Docker Engine pushes the images of services with build: and image:, and only those',
    { timeout: 180_000 },
    async (t) => {
      if (!(await ensureDockerd())) {
        t.skip('Docker Engine is not available');
        return;
      }
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-push-cli-'));
      const context = busyboxContext();
      try {
        fs.cpSync(context, path.join(dir, 'app'), { recursive: true });
        fs.writeFileSync(
          path.join(dir, 'compose.yaml'),
          `services:\n  app: {build: ./app, image: ${reg.host}/tsc/cli:v1}\n  local: {build: ./app}\n  db: {image: ${reg.host}/tsc/not-built:v1}\n`,
        );
        const env = { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock', DOCKER_BUILDKIT: '0' };
        const cli = (args: string[]) =>
          spawnSync(process.execPath, [CLI, '--engine', 'docker', '-p', 'tscpush', ...args], {
            cwd: dir,
            env,
            encoding: 'utf8',
            timeout: 150_000,
          });
        const build = cli(['build', 'app']);
        assert.equal(build.status, 0, build.stderr);
        const push = cli(['push']);
        assert.equal(push.status, 0, push.stderr);
        const repoDigests = JSON.parse(
          spawnSync('docker', ['-H', env.DOCKER_HOST, 'image', 'inspect', '--format', '{{json .RepoDigests}}', `${reg.host}/tsc/cli:v1`], {
            encoding: 'utf8',
          }).stdout,
        ) as string[];
        // the same busybox image may carry digests from other registries on a used Docker Engine: this one's only
        assert.deepEqual(
          repoDigests.filter((d) => d.startsWith(`${reg.host}/`)),
          [`${reg.host}/tsc/cli@${await manifestDigest(reg, 'tsc/cli', 'v1', 'application/vnd.docker.distribution.manifest.v2+json')}`],
        );
        assert.equal(await manifestDigest(reg, 'tsc/not-built', 'v1'), 'status 404', 'a service without build: is not pushed');
      } finally {
        spawnSync('docker', ['-H', 'unix:///var/run/docker.sock', 'rmi', '-f', `${reg.host}/tsc/cli:v1`, 'tscpush-local']);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.rmSync(context, { recursive: true, force: true });
      }
    },
  );

  test('a repository name without a tag pushes all its tags; an unknown tag is a 404', async () => {
    await importBusybox(srv, `${reg.host}/tsc/tags:a`, 'a');
    await importBusybox(srv, `${reg.host}/tsc/tags:b`, 'b');
    const push = await dockerCli(srv.socket, ['push', '--all-tags', `${reg.host}/tsc/tags`]);
    assert.equal(push.status, 0, push.stderr);
    assert.match((await manifestDigest(reg, 'tsc/tags', 'a')) ?? '', /^sha256:/);
    assert.match((await manifestDigest(reg, 'tsc/tags', 'b')) ?? '', /^sha256:/);

    const missing = await dockerCli(srv.socket, ['push', `${reg.host}/tsc/tags:nope`]);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /An image does not exist locally with the tag: 127\.0\.0\.1:\d+\/tsc\/tags:nope/);
  });

  test('a registry with basic auth: refused without credentials, accepted with X-Registry-Auth', async () => {
    const secured = await startRegistry({ user: 'alice', password: 'wonderland' });
    try {
      const ref = `${secured.host}/tsc/private:v1`;
      await importBusybox(srv, ref, 'private');
      const denied = await dockerCli(srv.socket, ['push', ref]);
      assert.notEqual(denied.status, 0);
      assert.match(denied.stdout + denied.stderr, /push access denied for 127\.0\.0\.1:\d+\/tsc\/private: authentication required/);
      const stream = (await srv.docker.getImage(`${secured.host}/tsc/private`).push({
        tag: 'v1',
        authconfig: { username: 'alice', password: 'wonderland', serveraddress: secured.host },
      } as never)) as unknown as NodeJS.ReadableStream;
      const events = await new Promise<{ error?: string }[]>((resolve, reject) =>
        srv.docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => (err ? reject(err) : resolve(out))),
      );
      assert.deepEqual(
        events.filter((e) => e.error),
        [],
      );
      assert.match((await manifestDigest(secured, 'tsc/private', 'v1')) ?? '', /^sha256:/);
    } finally {
      await secured.stop();
    }
  });

  test('an upload location on another host is refused: credentials and layers go only to the registry', async () => {
    let elsewhere = 0;
    const decoy = http.createServer((req, res) => {
      elsewhere++;
      res.writeHead(201);
      res.end();
    });
    decoy.listen(0, '127.0.0.2');
    await once(decoy, 'listening');
    const registry = http.createServer((req, res) => {
      if (req.method === 'HEAD') {
        res.writeHead(404);
        res.end();
        return;
      }
      if (req.method === 'POST') {
        res.writeHead(202, { Location: `http://127.0.0.2:${(decoy.address() as net.AddressInfo).port}/upload` });
        res.end();
        return;
      }
      res.writeHead(500);
      res.end();
    });
    registry.listen(0, '127.0.0.1');
    await once(registry, 'listening');
    try {
      const ref = `127.0.0.1:${(registry.address() as net.AddressInfo).port}/tsc/redirected:v1`;
      await importBusybox(srv, ref, 'x');
      const push = await dockerCli(srv.socket, ['push', ref]);
      assert.notEqual(push.status, 0);
      assert.match(push.stdout + push.stderr, /sent a location on another host \(http:\/\/127\.0\.0\.2:\d+\): refused/);
      assert.equal(elsewhere, 0);
    } finally {
      registry.closeAllConnections();
      await new Promise((r) => registry.close(r));
      decoy.closeAllConnections();
      await new Promise((r) => decoy.close(r));
    }
  });
});
