// Debian's docker-compose 1.29 (Python, docker-py underneath), a client nobody here wrote, drives a 4-service
// stack through up --build, scale, recreate and down on the bundled engine and on Docker Engine alike.
// It creates containers first and connects their networks afterwards (disconnecting any it finds first),
// which the bundled engine must allow as Docker does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundledTarget, dockerTarget, type EngineTarget } from '../lifecycle/engines.js';

const hasCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;
const COMPOSE = `version: "3.7"
services:
  web:
    build: .
    image: tsc-dcv1-bb:latest
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    networks: [front, back]
  worker:
    image: tsc-dcv1-bb:latest
    command: ["sleep", "3600"]
    depends_on: [web]
    networks: [back]
  db:
    image: tsc-dcv1-bb:latest
    command: ["sleep", "3600"]
    networks:
      back:
        aliases: [database]
  client:
    image: tsc-dcv1-bb:latest
    command: ["sleep", "3600"]
networks:
  front: {}
  back: {}
`;

let dir: string;
const targets: EngineTarget[] = [];

before(async () => {
  if (!hasCompose) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-dcv1-'));
  copyFileSync('/bin/busybox', path.join(dir, 'busybox'));
  writeFileSync(
    path.join(dir, 'Dockerfile'),
    'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nRUN mkdir -p /www && echo served-by-web > /www/index.html\n',
  );
  writeFileSync(path.join(dir, 'docker-compose.yml'), COMPOSE);
  process.env.TSCOMPOSE_TEST_BUNDLED = '1';
  const bundled = await bundledTarget();
  if (bundled) targets.push(bundled);
  const docker = await dockerTarget();
  if (docker) targets.push(docker);
});

after(async () => {
  for (const t of targets) await t.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function composeOn(target: EngineTarget, project: string) {
  const env = {
    ...process.env,
    COMPOSE_PROJECT_NAME: project,
    DOCKER_BUILDKIT: '0',
    COMPOSE_DOCKER_CLI_BUILD: '0',
    DOCKER_HOST: target.name === 'bundled' ? `unix://${target.env.TSCOMPOSE_ENGINE_SOCKET}` : 'unix:///var/run/docker.sock',
  };
  return async (...args: string[]) => {
    try {
      const { stdout, stderr } = await promisify(execFile)('docker-compose', args, { cwd: dir, env, timeout: 180_000 });
      return { code: 0, out: stdout + stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  };
}

/** DNS answers may take a moment after a container (re)starts, on either engine. */
async function eventually(run: () => Promise<{ code: number; out: string }>, tries = 10): Promise<{ code: number; out: string }> {
  let r = await run();
  for (let i = 1; i < tries && r.code !== 0; i++) {
    await new Promise((ok) => setTimeout(ok, 500));
    r = await run();
  }
  return r;
}

for (const name of ['bundled', 'docker'] as const) {
  test(
    `docker-compose v1 runs a 4-service stack on ${name === 'bundled' ? 'the bundled engine' : 'Docker Engine'}`,
    { skip: !hasCompose && "Debian's docker-compose is not installed" },
    async (t) => {
      const target = targets.find((x) => x.name === name);
      if (!target) {
        t.skip(`${name} engine unavailable`);
        return;
      }
      const project = `tscdcv1${name}`;
      const dc = composeOn(target, project);
      try {
        const up = await dc('up', '-d', '--build');
        assert.equal(up.code, 0, up.out);
        const ps = await dc('ps', '-q');
        assert.equal(ps.out.trim().split('\n').length, 4, ps.out);

        const viaAlias = await eventually(() => dc('exec', '-T', 'worker', 'wget', '-q', '-O-', 'http://web:8080/'));
        assert.match(viaAlias.out, /served-by-web/, 'worker reaches web over the back network');
        assert.equal(
          (await eventually(() => dc('exec', '-T', 'worker', 'ping', '-c1', '-W2', 'database'))).code,
          0,
          'the db alias resolves on back',
        );
        assert.notEqual(
          (await dc('exec', '-T', 'client', 'ping', '-c1', '-W2', 'web')).code,
          0,
          'client, on the default network only, does not see web',
        );

        const scaled = await dc('up', '-d', '--scale', 'worker=3');
        assert.equal(scaled.code, 0, scaled.out);
        assert.equal((await dc('ps', '-q', 'worker')).out.trim().split('\n').length, 3);

        const before = (await dc('ps', '-q', 'db')).out.trim();
        const recreated = await dc('up', '-d', '--force-recreate', '--scale', 'worker=3', 'db');
        assert.equal(recreated.code, 0, recreated.out);
        const after = (await dc('ps', '-q', 'db')).out.trim();
        assert.notEqual(after, before, 'db is a new container');
        assert.equal(
          (await eventually(() => dc('exec', '-T', '--index=3', 'worker', 'ping', '-c1', '-W2', 'database'))).code,
          0,
          'the new db answers to its alias',
        );
      } finally {
        const down = await dc('down', '-v');
        assert.equal(down.code, 0, down.out);
      }
      const left = await target.docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } });
      assert.deepEqual(left, [], 'down removed every container');
      const nets = (await target.docker.listNetworks()).filter((n) => n.Name.startsWith(`${project}_`));
      assert.deepEqual(
        nets.map((n) => n.Name),
        [],
        'down removed every network',
      );
    },
  );
}
