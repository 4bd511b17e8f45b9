// A test process killed with SIGKILL (a CI timeout, the OOM killer) runs no exit hook: its reaper still
// removes the containers, networks and volumes of its environments, on each engine.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { availableEngines, type TestEngine } from './engines.js';

const repo = path.resolve(import.meta.dirname, '../../..');
const engines = await availableEngines();
after(async () => {
  for (const e of engines) await e.close();
});

const COMPOSE = `services:
  app:
    build: .
    command: ["sleep", "300"]
    volumes: [data:/data]
  side:
    build: .
    command: ["sleep", "300"]
volumes:
  data: {}
`;

// the "test process": brings an environment up, says its project name, then waits to be killed
const VICTIM = `
import { loadEnvironment } from ${JSON.stringify(path.join(repo, 'src/api/index.ts'))};
const env = await loadEnvironment({ cwd: process.argv[2] });
await env.up({ wait: false });
console.log('UP ' + env.name);
setInterval(() => {}, 1000);
`;

async function projectResources(e: TestEngine, project: string): Promise<number> {
  const filters = { label: [`com.docker.compose.project=${project}`] };
  const containers = await e.docker.listContainers({ all: true, filters });
  const networks = await e.docker.listNetworks({ filters });
  const volumes = (await e.docker.listVolumes({ filters })).Volumes ?? [];
  return containers.length + networks.length + volumes.length;
}

for (const kind of ['bundled', 'docker'] as const) {
  test(`a SIGKILLed test process leaves nothing behind on ${kind === 'bundled' ? 'the bundled engine' : 'Docker Engine'}`, async (t) => {
    const engine = engines.find((e) => e.kind === kind);
    if (!engine) {
      t.skip(`${kind} engine unavailable`);
      return;
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-reaper-'));
    try {
      copyFileSync('/bin/busybox', path.join(dir, 'busybox'));
      writeFileSync(
        path.join(dir, 'Dockerfile'),
        'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n',
      );
      writeFileSync(path.join(dir, 'compose.yaml'), COMPOSE);
      writeFileSync(path.join(dir, 'victim.mts'), VICTIM);
      engine.select();
      const victim = spawn(process.execPath, ['--import', 'tsx', path.join(dir, 'victim.mts'), dir], {
        cwd: repo,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: process.env,
      });
      let out = '';
      let err = '';
      victim.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
      });
      const project = await new Promise<string>((resolve, reject) => {
        victim.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /UP (\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        victim.once('exit', (code) =>
          reject(new Error(`the test process exited (${code}) before its environment was up: ${err.slice(-2000)}`)),
        );
      });
      assert.ok((await projectResources(engine, project)) >= 4, 'two containers, a network and a volume exist');

      victim.kill('SIGKILL');
      const deadline = Date.now() + 20_000;
      let left = await projectResources(engine, project);
      while (left > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        left = await projectResources(engine, project);
      }
      assert.equal(left, 0, 'the reaper removed every container, network and volume of the killed process');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
