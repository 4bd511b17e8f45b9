// The engines the API suites run on: Debian's dockerd whenever it is reachable, and the bundled
// engine when it exists (src/engine/engine.ts) or TSCOMPOSE_TEST_BUNDLED=1 — each test file starts
// its own bundled daemon on a temp state root and socket, and removes everything in it at the end.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { ensureDockerd } from '../../helpers/dockerd.js';

export interface TestEngine {
  kind: 'docker' | 'bundled';
  /** unix socket path of the engine API */
  socket: string;
  docker: Docker;
  /** makes the API's connect (engine option + env) reach this engine */
  select(): void;
  close(): Promise<void>;
}

const repo = path.resolve(import.meta.dirname, '../../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function dockerEngine(): Promise<TestEngine | undefined> {
  if (process.env.TSCOMPOSE_TEST_DOCKER === '0') return undefined;
  if (!(await ensureDockerd())) return undefined;
  const socket = '/var/run/docker.sock';
  return {
    kind: 'docker',
    socket,
    docker: new Docker({ socketPath: socket }),
    select() {
      delete process.env.DOCKER_HOST;
      process.env.TSCOMPOSE_ENGINE = 'docker';
    },
    async close() {},
  };
}

export function bundledEngineWanted(): boolean {
  if (process.env.TSCOMPOSE_TEST_BUNDLED === '0') return false;
  return process.env.TSCOMPOSE_TEST_BUNDLED === '1' || existsSync(path.join(repo, 'src/engine/engine.ts'));
}

/** Starts a private bundled engine: `tscompose engine --root <tmp> --socket <tmp>/engine.sock`. */
export async function bundledEngine(): Promise<TestEngine | undefined> {
  if (!bundledEngineWanted()) return undefined;
  const root = mkdtempSync(path.join(os.tmpdir(), 'tsc-api-engine-'));
  const socket = path.join(root, 'engine.sock');
  const log = openSync(path.join(root, 'daemon.log'), 'a');
  const daemon: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repo, 'src/cli/main.ts'), 'engine', '--root', path.join(root, 'state'), '--socket', socket],
    { stdio: ['ignore', log, log], cwd: repo },
  );
  const docker = new Docker({ socketPath: socket });
  // a loaded two-core machine can take a while to start a TypeScript daemon
  const end = Date.now() + 60_000;
  let up = false;
  while (Date.now() < end && daemon.exitCode === null) {
    try {
      await docker.ping();
      up = true;
      break;
    } catch {
      await sleep(200);
    }
  }
  const stop = async () => {
    if (up) await removeEverything(docker).catch(() => undefined);
    if (daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await Promise.race([new Promise((r) => daemon.once('exit', r)), sleep(10_000)]);
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
    }
    // anything a failed test left mounted under the root must go before the directory does
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4])
      .filter((m) => m?.startsWith(root));
    for (const m of mounts.reverse()) spawnSync('umount', ['-l', m!]);
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
  if (!up) {
    process.stderr.write(
      `api tests: the bundled engine did not start; running on Docker only. Its log:\n${readFileSync(path.join(root, 'daemon.log'), 'utf8').slice(-2000)}\n`,
    );
    await stop();
    if (process.env.TSCOMPOSE_TEST_BUNDLED === '1') throw new Error('TSCOMPOSE_TEST_BUNDLED=1 but the bundled engine did not start');
    return undefined;
  }
  return {
    kind: 'bundled',
    socket,
    docker,
    select() {
      delete process.env.DOCKER_HOST;
      process.env.TSCOMPOSE_ENGINE = 'bundled';
      process.env.TSCOMPOSE_ENGINE_SOCKET = socket;
      process.env.TSCOMPOSE_STATE_ROOT = path.join(root, 'state');
    },
    close: stop,
  };
}

/** Everything in a private engine is the test's own. */
async function removeEverything(docker: Docker): Promise<void> {
  for (const c of await docker.listContainers({ all: true }))
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  for (const n of await docker.listNetworks())
    if (!['bridge', 'host', 'none'].includes(n.Name))
      await docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined);
  for (const v of (await docker.listVolumes()).Volumes ?? [])
    await docker
      .getVolume(v.Name)
      .remove()
      .catch(() => undefined);
}

export async function availableEngines(): Promise<TestEngine[]> {
  const engines = [await dockerEngine(), await bundledEngine()];
  return engines.filter((e): e is TestEngine => e !== undefined);
}

/** Builds a busybox image on an engine through the Docker build API. */
export async function buildImage(docker: Docker, context: string, tag: string): Promise<void> {
  const stream = await docker.buildImage({ context, src: ['Dockerfile', 'busybox'] }, { t: tag, rm: true, forcerm: true });
  const result = await new Promise<unknown[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (err, out) => (err ? reject(err) : resolve(out ?? []))),
  );
  const failed = result.find((m) => (m as { error?: string }).error) as { error?: string } | undefined;
  if (failed) throw new Error(`building ${tag} failed: ${failed.error}`);
}

/** What an engine still holds for a project: containers, networks and volumes with its label. */
export async function projectLeftovers(docker: Docker, project: string): Promise<string[]> {
  const filters = { label: [`com.docker.compose.project=${project}`] };
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return [
    ...containers.map((c) => `container ${c.Names[0]}`),
    ...networks.map((n) => `network ${n.Name}`),
    ...(volumes.Volumes ?? []).map((v) => `volume ${v.Name}`),
  ];
}

/** Whether the engine runs healthchecks (State.Health appears): a short probe with `image`. */
export async function supportsHealthchecks(docker: Docker, image: string): Promise<boolean> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: ['sleep', '30'],
    Labels: { 'tsc-api-probe': 'health' },
    Healthcheck: { Test: ['CMD', 'true'], Interval: 100_000_000, Timeout: 1_000_000_000, Retries: 1 },
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await container.start();
    const end = Date.now() + 5000;
    while (Date.now() < end) {
      if ((await container.inspect()).State.Health?.Status) return true;
      await sleep(200);
    }
    return false;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
