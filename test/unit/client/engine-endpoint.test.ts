// DOCKER_HOST read as docker-modem reads it: a unix socket or plain tcp:// gives an endpoint node:http can
// reach; ssh://, TLS and named pipes give none, so the caller keeps dockerode for those.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerHostEndpoint } from '../../../src/client/engine-endpoint.js';

test('unix sockets and plain tcp hosts are reached over node:http', () => {
  assert.deepEqual(dockerHostEndpoint({ DOCKER_HOST: 'unix:///run/custom.sock' }), { socketPath: '/run/custom.sock' });
  assert.deepEqual(dockerHostEndpoint({ DOCKER_HOST: 'tcp://10.0.0.5:2375' }), { host: '10.0.0.5', port: 2375 });
  assert.deepEqual(dockerHostEndpoint({ DOCKER_HOST: 'localhost:2375' }), { host: 'localhost', port: 2375 });
  assert.deepEqual(dockerHostEndpoint({ DOCKER_HOST: 'tcp://[::1]:2375' }), { host: '::1', port: 2375 });
  const socket = dockerHostEndpoint({});
  assert.ok(socket && 'socketPath' in socket && socket.socketPath.endsWith('docker.sock'));
});

test('ssh, TLS, named pipes and path prefixes stay with dockerode', () => {
  for (const env of [
    { DOCKER_HOST: 'ssh://me@build-box' },
    { DOCKER_HOST: 'tcp://10.0.0.5:2376' },
    { DOCKER_HOST: 'tcp://10.0.0.5:2375', DOCKER_TLS_VERIFY: '1' },
    { DOCKER_HOST: 'tcp://10.0.0.5:2375', DOCKER_CERT_PATH: '/certs' },
    { DOCKER_HOST: 'tcp://10.0.0.5:2375', DOCKER_PATH_PREFIX: '/docker' },
    { DOCKER_HOST: 'npipe:////./pipe/docker_engine' },
    { DOCKER_HOST: 'https://10.0.0.5:2375' },
  ])
    assert.equal(dockerHostEndpoint(env), undefined, JSON.stringify(env));
});
