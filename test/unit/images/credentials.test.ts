import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fromDockerConfig, fromRegistryAuthHeader, fromRegistryConfigHeader } from '../../../src/registry/credentials.js';
import { parseChallenge } from '../../../src/engine/images/pull/registry-client.js';
import { pickPlatform } from '../../../src/engine/images/oci.js';

test('X-Registry-Auth and X-Registry-Config headers', () => {
  const header = Buffer.from(JSON.stringify({ username: 'u', password: 'p', serveraddress: 'r' })).toString('base64url');
  assert.deepEqual(fromRegistryAuthHeader(header), { username: 'u', password: 'p', identityToken: undefined, registryToken: undefined });
  assert.equal(fromRegistryAuthHeader(Buffer.from('{}').toString('base64')), undefined, 'the CLI sends {} when logged out');
  assert.equal(fromRegistryAuthHeader('not base64 json'), undefined);
  const config = Buffer.from(JSON.stringify({ 'https://index.docker.io/v1/': { username: 'hub', password: 'x' } })).toString('base64');
  assert.equal(fromRegistryConfigHeader(config, 'docker.io')?.username, 'hub');
  assert.equal(fromRegistryConfigHeader(config, 'ghcr.io'), undefined);
});

test('config.json auths, Docker Hub key', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-img-cfg-'));
  try {
    fs.writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hubpass').toString('base64') },
          'localhost:5000': { auth: Buffer.from('me:pa:ss').toString('base64') },
        },
      }),
    );
    assert.deepEqual(fromDockerConfig('docker.io', dir), { username: 'hubuser', password: 'hubpass' });
    assert.deepEqual(fromDockerConfig('localhost:5000', dir), { username: 'me', password: 'pa:ss' });
    assert.equal(fromDockerConfig('other.io', dir), undefined);
    assert.equal(fromDockerConfig('docker.io', path.join(dir, 'missing')), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('WWW-Authenticate challenges', () => {
  assert.deepEqual(
    parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/redis:pull"'),
    {
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/redis:pull' },
    },
  );
  assert.equal(parseChallenge('Basic realm="x"').scheme, 'basic');
});

test('platform selection from an index', () => {
  const m = (architecture: string, variant?: string) => ({
    mediaType: 'm',
    digest: `sha256:${architecture}${variant ?? ''}`,
    size: 1,
    platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) },
  });
  const index = {
    schemaVersion: 2 as const,
    manifests: [m('arm', 'v7'), m('arm64', 'v8'), m('amd64'), { ...m('unknown'), platform: { os: 'unknown', architecture: 'unknown' } }],
  };
  assert.equal(pickPlatform(index, { os: 'linux', architecture: 'amd64' })?.digest, 'sha256:amd64');
  assert.equal(pickPlatform(index, { os: 'linux', architecture: 'arm64', variant: 'v8' })?.digest, 'sha256:arm64v8');
  assert.equal(pickPlatform(index, { os: 'linux', architecture: 's390x' }), undefined);
});
