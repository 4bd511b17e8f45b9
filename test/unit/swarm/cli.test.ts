// Choosing the swarm engine, and the commands it refuses before connecting anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseEngine } from '../../../src/client/connect.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildProgram } from '../../../src/cli/program.js';
import { buildEngineKind } from '../../../src/swarm/build-engine.js';
import { buildableServices } from '../../../src/swarm/images.js';
import { registryAuthLookup } from '../../../src/swarm/registry-auth.js';
import type { Project } from '../../../src/model/types.js';

test('--engine swarm and TSCOMPOSE_ENGINE=swarm choose the swarm engine; an unknown engine lists the three', () => {
  assert.equal(chooseEngine('swarm', {}), 'swarm');
  assert.equal(chooseEngine(undefined, { TSCOMPOSE_ENGINE: 'swarm', DOCKER_HOST: 'unix:///x.sock' }), 'swarm');
  assert.throws(() => chooseEngine('kube', {}), /unknown engine "kube": use "bundled", "docker" or "swarm"/);
});

test("commands that act on one machine's containers are refused on swarm, before any connection", async () => {
  for (const args of [
    ['--engine', 'swarm', 'exec', 'web', 'sh'],
    ['stop', '--engine', 'swarm'],
  ]) {
    const program = (await buildProgram(args)).exitOverride();
    await assert.rejects(
      program.parseAsync(['node', 'tscompose', ...args]),
      /"(exec|stop)" is not available with --engine swarm \(available: version, config, up, down, ps, logs, ls, build, push, pull, images\)/,
    );
  }
});

test('the swarm builds on a local engine: bundled by default, Docker when TSCOMPOSE_BUILD_ENGINE says so', () => {
  assert.equal(buildEngineKind({}), 'bundled');
  assert.equal(buildEngineKind({ TSCOMPOSE_BUILD_ENGINE: 'docker', DOCKER_HOST: 'unix:///x.sock' }), 'docker');
  assert.throws(() => buildEngineKind({ TSCOMPOSE_BUILD_ENGINE: 'swarm' }), /TSCOMPOSE_BUILD_ENGINE="swarm": use "bundled" or "docker"/);
});

test('a service with build: must name its image, since every node pulls it from a registry', () => {
  const project = {
    name: 'p',
    services: { web: { build: { context: '.' } }, db: { image: 'postgres' }, api: { build: { context: '.' }, image: 'reg:5000/api' } },
  } as unknown as Project;
  assert.deepEqual(buildableServices(project, ['api']), ['api']);
  assert.throws(
    () => buildableServices(project, []),
    /service "web" has build: but no image:\. On a swarm every node pulls the image from a registry/,
  );
});

test("registry credentials for a service come from config.json by its image's registry; none without an entry", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-auth-'));
  try {
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({
        auths: {
          'reg.example:5000': { auth: Buffer.from('bob:hunter2').toString('base64') },
          'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw').toString('base64') },
        },
      }),
    );
    const auth = registryAuthLookup(dir);
    assert.deepEqual(auth('reg.example:5000/team/api:1@sha256:' + 'a'.repeat(64)), {
      username: 'bob',
      password: 'hunter2',
      serveraddress: 'reg.example:5000',
    });
    assert.deepEqual(auth('redis:7'), { username: 'hub', password: 'pw', serveraddress: 'https://index.docker.io/v1/' });
    assert.equal(auth('other.example/x'), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
