// The shared multi-node swarm lab (../shared/swarm-lab.sh, see its header) for end-to-end tests:
// started when it is not up, torn down afterwards only if this process started it. `unavailable`
// says why the lab cannot run here, so the suite skips with that reason.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';

const run = promisify(execFile);
export const REPO = path.resolve(import.meta.dirname, '../../..');
/** Called by the relative path the harness documents, from the repository root. */
const HARNESS = '../shared/swarm-lab.sh';
const BRIDGE = 'tsclab0';

export interface Lab {
  env: { DOCKER_HOST: string; SWARM_REGISTRY: string };
  docker: Docker;
  nodes: number;
  started: boolean;
  stop(): Promise<void>;
}

const parseEnv = (out: string) => Object.fromEntries([...out.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));

/** A host whose Docker Engine set FORWARD to DROP, with br_netfilter on, drops the traffic between lab
 *  nodes on the lab bridge (swarm join times out): accept bridge-internal traffic. Returns the undo. */
function allowBridgeForwarding(): () => void {
  let nf = '0';
  try {
    nf = readFileSync('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8').trim();
  } catch {
    /* no br_netfilter */
  }
  if (nf !== '1') return () => {};
  const rule = ['FORWARD', '-i', BRIDGE, '-o', BRIDGE, '-j', 'ACCEPT'];
  if (spawnSync('iptables', ['-C', ...rule]).status === 0) return () => {};
  if (spawnSync('iptables', ['-I', ...rule]).status !== 0) return () => {};
  return () => {
    spawnSync('iptables', ['-D', ...rule]);
  };
}

async function managerNodes(docker: Docker): Promise<number> {
  const nodes = (await docker.listNodes()) as { Status?: { State?: string } }[];
  return nodes.filter((n) => n.Status?.State === 'ready').length;
}

/** The lab with `nodes` ready nodes, or the reason it cannot be had. */
export async function startLab(nodes: number): Promise<Lab | { unavailable: string }> {
  if (process.getuid?.() !== 0) return { unavailable: 'the swarm lab needs root' };
  if (!existsSync(path.join(REPO, HARNESS))) return { unavailable: `${HARNESS} not found` };
  for (const bin of ['dockerd', 'docker', 'docker-registry', 'ip', 'nsenter']) {
    if (spawnSync('which', [bin]).status !== 0) return { unavailable: `the swarm lab needs ${bin}` };
  }
  const undoForwarding = allowBridgeForwarding();
  const current = parseEnv((await run('bash', [HARNESS, 'env'], { cwd: REPO })).stdout);
  let started = false;
  let env = current;
  const ready = async (e: Record<string, string>) => {
    try {
      return e.DOCKER_HOST ? (await managerNodes(new Docker())) >= nodes && Number(e.SWARM_NODES) >= nodes : false;
    } catch {
      return false;
    }
  };
  process.env.DOCKER_HOST = current.DOCKER_HOST;
  if (!(await ready(current))) {
    try {
      env = parseEnv((await run('bash', [HARNESS, 'up', String(nodes)], { cwd: REPO, timeout: 120_000 })).stdout);
      started = true;
    } catch (err) {
      undoForwarding();
      const e = err as { stderr?: string; message: string };
      return { unavailable: `swarm-lab.sh up ${nodes} failed: ${(e.stderr || e.message).trim().split('\n').pop()}` };
    }
  }
  process.env.DOCKER_HOST = env.DOCKER_HOST;
  const docker = new Docker();
  const deadline = Date.now() + 30_000;
  while ((await managerNodes(docker).catch(() => 0)) < nodes) {
    if (Date.now() > deadline) {
      if (started) await run('bash', [HARNESS, 'down'], { cwd: REPO }).catch(() => {});
      undoForwarding();
      return { unavailable: `the lab's swarm did not reach ${nodes} ready nodes` };
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    env: { DOCKER_HOST: env.DOCKER_HOST!, SWARM_REGISTRY: env.SWARM_REGISTRY! },
    docker,
    nodes,
    started,
    async stop() {
      if (!started) return; // someone else's lab: leave it (and its forwarding rule) as found
      await run('bash', [HARNESS, 'down'], { cwd: REPO, timeout: 120_000 });
      undoForwarding();
    },
  };
}

export interface BuildEngine {
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** A bundled engine of its own (temp state root and socket) that builds for the swarm and pushes to the
 *  lab registry, which serves plain HTTP on the lab bridge. Undefined when it does not start. */
export async function startBuildEngine(lab: Lab): Promise<BuildEngine | undefined> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tsc-swarm-build-'));
  const socket = path.join(root, 'engine.sock');
  const log = openSync(path.join(root, 'engine.log'), 'a');
  const child = spawn(process.execPath, [path.join(REPO, 'dist/cli/main.js'), 'engine', '--root', root, '--socket', socket], {
    stdio: ['ignore', log, log],
    env: { ...process.env, TSCOMPOSE_INSECURE_REGISTRIES: lab.env.SWARM_REGISTRY },
  });
  const exit = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exit, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exit;
      }
    }
    rmSync(root, { recursive: true, force: true });
  };
  const docker = new Docker({ socketPath: socket });
  for (const deadline = Date.now() + 15_000; Date.now() < deadline && child.exitCode === null;) {
    try {
      await docker.ping();
      return { env: { TSCOMPOSE_STATE_ROOT: root, TSCOMPOSE_ENGINE_SOCKET: socket, TSCOMPOSE_BUILD_ENGINE: 'bundled' }, stop };
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  return undefined;
}

/** Builds `context` with the lab manager's engine and pushes it to the lab registry; returns the reference. */
export async function buildAndPush(lab: Lab, context: string, repo: string): Promise<string> {
  const ref = `${lab.env.SWARM_REGISTRY}/${repo}`;
  const env = { ...process.env, DOCKER_HOST: lab.env.DOCKER_HOST, DOCKER_BUILDKIT: '0' };
  await run('docker', ['build', '-q', '-t', ref, context], { env, timeout: 120_000 });
  await run('docker', ['push', '-q', ref], { env, timeout: 120_000 });
  return ref;
}
