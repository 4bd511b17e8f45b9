// Starts a bundled engine for one test file: temp state root, temp socket, a busybox image, and cleanup
// that removes every container it made. Until the image store can build images, the busybox image is
// a prepared rootfs directory served next to the real image service.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { startEngine, type Engine } from '../../../src/engine/engine.js';
import type { ImageRecord, ImageService } from '../../../src/engine/contracts.js';
import { createImageService } from '../../../src/engine/images/index.js';
import { busyboxRootfs } from './rootfs.js';

export const BUSYBOX = 'tsc-test/busybox:latest';

export interface TestEngine {
  root: string;
  socket: string;
  engine: Engine;
  docker: Docker;
  /** the real docker CLI against this engine */
  cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

function withTestImage(real: ImageService, rootfs: string): ImageService {
  const image: ImageRecord = {
    id: 'sha256:' + 'b'.repeat(64), repoTags: [BUSYBOX], repoDigests: [], created: new Date().toISOString(), size: 0,
    architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] }, layerDirs: [rootfs],
  };
  return {
    async resolve(ref) { return ref === BUSYBOX || ref === 'tsc-test/busybox' || ref === image.id ? image : real.resolve(ref); },
    async list() { return [image, ...(await real.list())]; },
    registerRoutes(router) { real.registerRoutes(router); },
  };
}

export async function startTestEngine(): Promise<TestEngine> {
  const root = mkdtempSync('/tmp/tsc-eng-');
  const socket = path.join(root, 'engine.sock');
  const rootfs = busyboxRootfs(path.join(root, 'busybox-rootfs'));
  const open = () => startEngine({ root: path.join(root, 'state'), socketPath: socket, images: (ctx, runner) => withTestImage(createImageService(ctx, runner), rootfs) });
  let first: Engine;
  try { first = await open(); } catch (err) { rmSync(root, { recursive: true, force: true }); throw err; }
  const t: TestEngine = {
    root, socket, engine: first, docker: new Docker({ socketPath: socket }),
    cli(args, input) {
      return new Promise((resolve) => {
        const child = spawn('docker', ['-H', `unix://${socket}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, DOCKER_CONFIG: path.join(root, 'docker-config'), DOCKER_BUILDKIT: '0' } });
        let stdout = ''; let stderr = '';
        child.stdout.on('data', (d) => { stdout += d; });
        child.stderr.on('data', (d) => { stderr += d; });
        child.stdin.end(input ?? '');
        child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });
    },
    async restart() {
      await t.engine.close();
      t.engine = await open();
    },
    async cleanup() {
      try {
        for (const c of t.engine.containers.store.all()) await t.engine.containers.remove(c.Id, { force: true, volumes: true }).catch(() => {});
        await t.engine.close({ stopSupervisor: true });
      } finally {
        // anything still mounted under the root (a failed test) must go before the directory does
        const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m?.startsWith(root));
        for (const m of mounts.reverse()) spawnSync('umount', ['-l', m!]);
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
  return t;
}
