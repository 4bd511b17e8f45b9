// A real registry (Debian's docker-registry) on 127.0.0.1 for pull tests, populated over plain HTTP,
// and a bearer-token front that proxies to it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import zlib from 'node:zlib';
import { tarball, tempDir } from './fixtures.js';

export const sha = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  srv.close();
  return port;
}

export interface TestRegistry {
  host: string;
  dataDir: string;
  authHeader?: string;
  stop(): Promise<void>;
}

export async function startRegistry(basicAuth?: { user: string; password: string }): Promise<TestRegistry> {
  const dir = tempDir('tsc-img-registry-');
  const port = await freePort();
  let auth = '';
  if (basicAuth) {
    const r = spawnSync('htpasswd', ['-Bbn', basicAuth.user, basicAuth.password], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr}`);
    fs.writeFileSync(path.join(dir, 'htpasswd'), r.stdout);
    auth = `auth:\n  htpasswd:\n    realm: tsc-test\n    path: ${path.join(dir, 'htpasswd')}\n`;
  }
  fs.writeFileSync(
    path.join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: error',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'data')}`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
      auth,
    ].join('\n'),
  );
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  const authHeader = basicAuth ? 'Basic ' + Buffer.from(`${basicAuth.user}:${basicAuth.password}`).toString('base64') : undefined;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://${host}/v2/`).then(
      (r) => r.status === 200 || r.status === 401,
      () => false,
    );
    if (ok) return { host, dataDir: path.join(dir, 'data'), authHeader, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('docker-registry did not start');
}

export interface PushedBlob {
  mediaType: string;
  digest: string;
  size: number;
}

export async function pushBlob(reg: TestRegistry, repo: string, data: Buffer, mediaType: string): Promise<PushedBlob> {
  const headers: Record<string, string> = reg.authHeader ? { Authorization: reg.authHeader } : {};
  const digest = sha(data);
  const start = await fetch(`http://${reg.host}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
  if (start.status !== 202) throw new Error(`upload start: ${start.status}`);
  const location = new URL(start.headers.get('location')!, `http://${reg.host}`);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', headers: { ...headers, 'Content-Type': 'application/octet-stream' }, body: data });
  if (put.status !== 201) throw new Error(`upload: ${put.status} ${await put.text()}`);
  return { mediaType, digest, size: data.length };
}

export async function pushManifest(reg: TestRegistry, repo: string, reference: string, doc: object, mediaType: string): Promise<string> {
  const body = Buffer.from(JSON.stringify(doc));
  const res = await fetch(`http://${reg.host}/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'Content-Type': mediaType, ...(reg.authHeader ? { Authorization: reg.authHeader } : {}) },
    body,
  });
  if (res.status !== 201) throw new Error(`manifest push: ${res.status} ${await res.text()}`);
  return sha(body);
}

export const zstdCompress = (data: Buffer): Buffer => spawnSync('zstd', ['-q', '-c'], { input: data, maxBuffer: 1 << 30 }).stdout;

/** Pushes an image with one gzip and one zstd layer (Docker schema 2 or OCI), returns layer contents. */
export async function pushTestImage(reg: TestRegistry, repo: string, tag: string, opts: { oci?: boolean; layerBytes?: Buffer[] } = {}) {
  const layersTar = opts.layerBytes ?? [
    await tarball([
      { name: 'etc/', type: 'directory', mode: 0o755 },
      { name: 'etc/one', content: `one ${repo}\n` },
      { name: 'gone', content: 'x' },
    ]),
    await tarball([
      { name: 'etc/two', content: 'two\n' },
      { name: '.wh.gone', content: '' },
    ]),
  ];
  const compressed = layersTar.map((t, i) => (opts.oci && i % 2 === 1 ? zstdCompress(t) : zlib.gzipSync(t)));
  const layerType = (i: number) =>
    opts.oci
      ? i % 2 === 1
        ? 'application/vnd.oci.image.layer.v1.tar+zstd'
        : 'application/vnd.oci.image.layer.v1.tar+gzip'
      : 'application/vnd.docker.image.rootfs.diff.tar.gzip';
  const layers = [];
  for (const [i, c] of compressed.entries()) layers.push(await pushBlob(reg, repo, c, layerType(i)));
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-01-01T00:00:00Z',
      config: { Cmd: ['/bin/true'], Labels: { 'tsc.repo': repo } },
      rootfs: { type: 'layers', diff_ids: layersTar.map(sha) },
    }),
  );
  const cfg = await pushBlob(
    reg,
    repo,
    config,
    opts.oci ? 'application/vnd.oci.image.config.v1+json' : 'application/vnd.docker.container.image.v1+json',
  );
  const mediaType = opts.oci ? 'application/vnd.oci.image.manifest.v1+json' : 'application/vnd.docker.distribution.manifest.v2+json';
  const manifest = { schemaVersion: 2, mediaType, config: cfg, layers };
  const digest = await pushManifest(reg, repo, tag, manifest, mediaType);
  return { digest, manifest, configDigest: cfg.digest, layers, size: Buffer.byteLength(JSON.stringify(manifest)) };
}

/** The registry's on-disk copy of a blob (to tamper with). */
export const blobDataPath = (reg: TestRegistry, digest: string) => {
  const hex = digest.slice(7);
  return path.join(reg.dataDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
};

/**
 * A registry front that demands a bearer token from its own /token endpoint, proxies to `upstream`,
 * and (once) cuts the first blob download halfway to exercise resume.
 */
export async function startTokenFront(upstream: TestRegistry, opts: { cutFirstBlob?: boolean } = {}) {
  const TOKEN = 'tsc-test-token';
  let cut = !!opts.cutFirstBlob;
  const seen = { tokenRequests: 0, rangeRequests: 0 };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://front');
    if (url.pathname === '/token') {
      seen.tokenRequests++;
      if (!url.searchParams.get('scope')?.startsWith('repository:')) {
        res.writeHead(400);
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token: TOKEN }));
      return;
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      const { port } = server.address() as net.AddressInfo;
      res.writeHead(401, {
        'WWW-Authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="tsc-test",scope="repository:x:pull"`,
      });
      res.end();
      return;
    }
    if (req.headers.range) seen.rangeRequests++;
    const up = await fetch(`http://${upstream.host}${url.pathname}${url.search}`, {
      headers: {
        ...(req.headers.accept ? { Accept: req.headers.accept } : {}),
        ...(req.headers.range ? { Range: req.headers.range } : {}),
      },
    });
    const body = Buffer.from(await up.arrayBuffer());
    const headers: Record<string, string> = {};
    up.headers.forEach((v, k) => {
      if (!['content-encoding', 'transfer-encoding', 'connection'].includes(k)) headers[k] = v;
    });
    res.writeHead(up.status, headers);
    if (cut && url.pathname.includes('/blobs/') && body.length > 1024) {
      cut = false;
      res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    seen,
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
