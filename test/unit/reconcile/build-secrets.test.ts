import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Docker from 'dockerode';
import { loadProject } from '../../../src/model/index.js';
import { buildSessionPayload, openBuildSession } from '../../../src/reconcile/build-secrets.js';
import { dockerEngineClient } from '../../../src/client/docker-engine-client.js';
import { FakeEngineClient } from '../../helpers/fake-engine-client.js';

test('build.secrets and build.ssh: loaded, marked used, turned into the session payload', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-bsec-'));
  const agent = net.createServer().listen(path.join(dir, 'agent.sock'));
  await once(agent, 'listening');
  try {
    fs.writeFileSync(path.join(dir, 'tok.txt'), 'file-secret');
    fs.writeFileSync(
      path.join(dir, 'compose.yaml'),
      [
        'services:',
        '  app:',
        '    build:',
        '      context: .',
        '      secrets: [tok, { source: envsec, target: renamed }]',
        `      ssh: { default: ${path.join(dir, 'agent.sock')} }`,
        'secrets:',
        '  tok: { file: ./tok.txt }',
        '  envsec: { environment: SEC_VAR }',
        '  unused: { file: ./nope.txt }',
        '',
      ].join('\n'),
    );
    const project = await loadProject({ cwd: dir, environment: { SEC_VAR: 'env-secret' } });
    const build = project.services.app!.build!;
    assert.deepEqual(build.secrets, [
      { source: 'tok', target: undefined, uid: undefined, gid: undefined, mode: undefined },
      { source: 'envsec', target: 'renamed', uid: undefined, gid: undefined, mode: undefined },
    ]);
    assert.deepEqual(build.ssh, [`default=${path.join(dir, 'agent.sock')}`]);
    assert.deepEqual(Object.keys(project.secrets).sort(), ['envsec', 'tok']);
    const payload = buildSessionPayload(project, project.services.app!, build, {})!;
    assert.deepEqual(payload.secrets, {
      tok: Buffer.from('file-secret').toString('base64'),
      renamed: Buffer.from('env-secret').toString('base64'),
    });
    assert.deepEqual(payload.ssh, { default: path.join(dir, 'agent.sock') });
    assert.throws(
      () => buildSessionPayload(project, project.services.app!, { ...build, ssh: ['default'] }, {}),
      /SSH_AUTH_SOCK is not set/,
    );
    assert.throws(
      () => buildSessionPayload(project, project.services.app!, { ...build, ssh: [`k=${path.join(dir, 'tok.txt')}`] }, {}),
      /not an SSH agent socket/,
    );
    fs.writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  app:\n    build: { context: ., secrets: [missing] }\n');
    await assert.rejects(loadProject({ cwd: dir, environment: {} }), /undefined secret missing in build.secrets/);
  } finally {
    agent.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an engine without the build-secrets endpoint (Docker Engine) gives a clear error', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-bsec-'));
  const sock = path.join(dir, 'docker.sock');
  const server = http
    .createServer((req, res) => {
      req.resume();
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"message":"page not found"}');
    })
    .listen(sock);
  await once(server, 'listening');
  try {
    const service = { name: 'app' } as Parameters<typeof openBuildSession>[1];
    await assert.rejects(
      openBuildSession(dockerEngineClient(new Docker({ socketPath: sock })), service, { secrets: { a: 'eA==' }, ssh: {} }),
      /Docker Engine's classic build API cannot receive/,
    );
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('build.additional_contexts: directories resolved like the context, images and services kept, sent as named contexts', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-bctx-'));
  try {
    fs.mkdirSync(path.join(dir, 'libs'));
    fs.writeFileSync(
      path.join(dir, 'compose.yaml'),
      [
        'services:',
        '  base:',
        '    image: my/base:1',
        '  app:',
        '    build:',
        '      context: .',
        '      additional_contexts:',
        '        libs: ./libs',
        '        alpine: docker-image://alpine:3.19',
        '        parent: service:base',
        '',
      ].join('\n'),
    );
    const project = await loadProject({ cwd: dir, environment: {} });
    const build = project.services.app!.build!;
    assert.deepEqual(build.additionalContexts, {
      libs: path.join(dir, 'libs'),
      alpine: 'docker-image://alpine:3.19',
      parent: 'service:base',
    });
    const payload = buildSessionPayload(project, project.services.app!, build, {})!;
    assert.deepEqual(payload.contexts, {
      libs: path.join(dir, 'libs'),
      alpine: 'docker-image://alpine:3.19',
      parent: 'docker-image://my/base:1',
    });
    assert.throws(
      () =>
        buildSessionPayload(project, project.services.app!, { ...build, additionalContexts: { x: 'https://example.com/repo.git' } }, {}),
      /not supported/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a build with additional_contexts service:x waits for x's build", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-bord-'));
  try {
    fs.writeFileSync(
      path.join(dir, 'compose.yaml'),
      [
        'services:',
        '  app:',
        '    build: { context: ., additional_contexts: { base: "service:base" } }',
        '  base:',
        '    build: { context: ., args: { SLOW: "1" } }',
        '',
      ].join('\n'),
    );
    const project = await loadProject({ cwd: dir, environment: {} });
    const { ensureImages } = await import('../../../src/reconcile/images.js');
    const { silentProgress } = await import('../../../src/reconcile/progress.js');
    const engine = new FakeEngineClient();
    // base's build is slow: app, which names it as a context, must still wait for it
    engine.onBuild = async (request) => {
      if (request.buildArgs.SLOW) await new Promise((r) => setTimeout(r, 150));
    };
    await ensureImages(engine, project, ['app', 'base'], {}, silentProgress);
    const events = engine.calls.map((c) => c.replace(/^build-(start|end)/, '$1'));
    const base = events.indexOf(`end ${project.name}-base`);
    const app = events.indexOf(`start ${project.name}-app`);
    assert.ok(base >= 0 && app > base, events.join(', '));
    assert.deepEqual(engine.buildSessions, [{ secrets: {}, ssh: {}, contexts: { base: `docker-image://${project.name}-base` } }]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('additional_contexts service: cycles are an error, not a hang', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsc-bcyc-'));
  try {
    fs.writeFileSync(
      path.join(dir, 'compose.yaml'),
      [
        'services:',
        '  a:',
        '    build: { context: ., additional_contexts: { b: "service:b" } }',
        '  b:',
        '    build: { context: ., additional_contexts: { a: "service:a" }, args: { X: "1" } }',
        '',
      ].join('\n'),
    );
    const project = await loadProject({ cwd: dir, environment: {} });
    const { ensureImages } = await import('../../../src/reconcile/images.js');
    const { silentProgress } = await import('../../../src/reconcile/progress.js');
    await assert.rejects(ensureImages(new FakeEngineClient(), project, ['a', 'b'], {}, silentProgress), /form a cycle: a -> b -> a/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
