// Starts a bundled engine for one test file: temp state root, temp socket, a busybox image built through
// the engine itself (test/helpers/busybox-image.ts), and cleanup that removes every container it made.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { startEngine, type Engine } from '../../../src/engine/engine.js';
import { busyboxContext } from '../../helpers/busybox-image.js';

export const BUSYBOX = 'tsc-test/busybox:latest';

const PASSWD =
  'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000:app:/home/app:/bin/sh\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\napp:x:1000:\nextra:x:2000:app\n';

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

export async function startTestEngine(): Promise<TestEngine> {
  const root = mkdtempSync('/tmp/tsc-eng-');
  const socket = path.join(root, 'engine.sock');
  const open = () => startEngine({ root: path.join(root, 'state'), socketPath: socket });
  let first: Engine;
  try {
    first = await open();
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const t: TestEngine = {
    root,
    socket,
    engine: first,
    docker: new Docker({ socketPath: socket }),
    cli(args, input): Promise<{ code: number; stdout: string; stderr: string }> {
      return new Promise((resolve) => {
        const child = spawn('docker', ['-H', `unix://${socket}`, ...args], {
          stdio: ['pipe', 'pipe', 'pipe'],
          env: { ...process.env, DOCKER_CONFIG: path.join(root, 'docker-config'), DOCKER_BUILDKIT: '0' },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => {
          stdout += d;
        });
        child.stderr.on('data', (d) => {
          stderr += d;
        });
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
        for (const c of t.engine.containers.store.all())
          await t.engine.containers.remove(c.id, { force: true, volumes: true }).catch(() => {});
        await t.engine.close({ stopSupervisor: true });
      } finally {
        // anything still mounted under the root (a failed test) must go before the directory does
        const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
          .split('\n')
          .map((l) => l.split(' ')[4])
          .filter((m) => m?.startsWith(root));
        for (const m of mounts.reverse()) spawnSync('umount', ['-l', m!]);
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
  const ctx = busyboxContext(
    ['COPY passwd /etc/passwd', 'COPY group /etc/group', 'RUN mkdir -p /tmp /root && chmod 1777 /tmp', 'CMD ["sh"]'],
    { passwd: PASSWD, group: GROUP },
  );
  try {
    const built = await t.cli(['build', '-q', '-t', BUSYBOX, ctx]);
    if (built.code !== 0) throw new Error(`building the busybox test image failed: ${built.stderr}`);
  } catch (err) {
    await t.cleanup();
    throw err;
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  return t;
}
