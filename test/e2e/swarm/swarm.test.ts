// --engine swarm end to end on the real 3-node lab: `up --build` builds the image on a bundled engine,
// pushes it to the lab registry and deploys it by digest; 3 replicas on 3 distinct nodes, host-mode
// ports, a secret and an inline config, stack labels docker stack sees, overlay DNS from another
// service; a no-op `up` that changes no service; an environment change rolled out task by task; a
// config change that rolls only the service using it; `down` that leaves nothing. Skips, saying why,
// when the lab cannot start (not root, no dockerd …).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { loadEnvironment } from '../../../src/api/index.js';
import { REPO, startBuildEngine, startLab, type Lab } from './lab.js';

const run = promisify(execFile);
const CLI = path.join(REPO, 'dist/cli/main.js');
const NAMESPACE = 'com.docker.stack.namespace';
const PORT = 18080;
const LIMIT = { timeout: 180_000 };

const lab = await startLab(3);
const builder = 'unavailable' in lab ? undefined : await startBuildEngine(lab);
const skip =
  'unavailable' in lab
    ? `swarm lab unavailable: ${lab.unavailable}`
    : builder
      ? false
      : 'the bundled engine (which builds for the swarm) did not start';
const REPOSITORY = 'tscompose-e2e/web';

function stackFile(image: string): string {
  return `
services:
  web:
    build: ./app
    image: ${image}
    environment: {GREETING: "\${GREETING:-hello}"}
    command: ["sh", "-c", "mkdir -p /www && echo \\"web $$(hostname) greeting=$$GREETING config=$$(cat /site.conf) secret=$$(cat /run/secrets/token)\\" > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports: [{target: 8080, published: ${PORT}, mode: host}]
    configs: [{source: site, target: /site.conf}]
    secrets: [token]
    stop_grace_period: 1s
    healthcheck: {test: ["CMD", "wget", "-qO", "/dev/null", "http://127.0.0.1:8080/"], interval: 1s, retries: 30}
    deploy:
      replicas: 3
      endpoint_mode: dnsrr
      placement: {max_replicas_per_node: 1}
      update_config: {parallelism: 1, monitor: 1s, order: stop-first}
  client:
    image: ${image}
    # every address "web" resolves to on the overlay, asked in turn
    command: ["sh", "-c", "while true; do for ip in $$(nslookup web 2>/dev/null | awk '/^Name:/{f=1} f && /^Address/{print $$NF}'); do echo \\"via $$ip: $$(timeout 2 wget -qO- http://$$ip:8080/)\\"; done; sleep 1; done"]
    stop_grace_period: 1s
    deploy: {endpoint_mode: dnsrr}
configs:
  site: {content: "\${SITE:-v1}"}
secrets:
  token: {environment: TOKEN}
`;
}

describe('--engine swarm on a 3-node lab', { skip }, () => {
  const l = lab as Lab;
  const project = `e2e${process.pid}`;
  let dir = '';
  const cli = async (args: string[], env: Record<string, string> = {}) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [CLI, '--engine', 'swarm', '-p', project, ...args], {
        cwd: dir,
        env: { ...process.env, ...builder!.env, DOCKER_HOST: l.env.DOCKER_HOST, TOKEN: 's3cret', ...env },
        timeout: 150_000,
      });
      return { stdout, stderr };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`tscompose ${args.join(' ')} failed: ${e.stderr || e.message}\n${e.stdout ?? ''}`);
    }
  };
  const services = async (docker: Docker) =>
    (await docker.listServices({ filters: { label: [`${NAMESPACE}=${project}`] } }))
      .map((s) => ({ name: s.Spec!.Name!, version: s.Version!.Index! }))
      .sort((a, b) => a.name.localeCompare(b.name));
  const nodeAddresses = async () => ((await l.docker.listNodes()) as { Status?: { Addr?: string } }[]).map((n) => n.Status!.Addr!).sort();
  const page = async (addr: string) => (await fetch(`http://${addr}:${PORT}/`, { signal: AbortSignal.timeout(3000) })).text();

  const image = `${l.env?.SWARM_REGISTRY}/${REPOSITORY}:${process.pid}`;
  /** The digest the lab registry serves for the image's tag. */
  const registryDigest = async () =>
    (
      await fetch(`http://${l.env.SWARM_REGISTRY}/v2/${REPOSITORY}/manifests/${process.pid}`, {
        method: 'HEAD',
        headers: { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
      })
    ).headers.get('docker-content-digest');
  const runningTasks = async (service: string) =>
    (
      (await l.docker.listTasks({ filters: { service: [`${project}_${service}`], 'desired-state': ['running'] } } as never)) as unknown as {
        NodeID: string;
        Status: { State: string };
      }[]
    ).filter((t) => t.Status.State === 'running');
  const inspectService = async (service: string) =>
    (await l.docker.getService(`${project}_${service}`).inspect()) as {
      Spec: { TaskTemplate: { ContainerSpec: { Image: string } } };
      UpdateStatus?: { State?: string };
    };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-swarm-e2e-'));
    const context = busyboxContext();
    try {
      cpSync(context, path.join(dir, 'app'), { recursive: true });
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
    writeFileSync(path.join(dir, 'compose.yaml'), stackFile(image));
  });

  after(async () => {
    await run(process.execPath, [CLI, '--engine', 'swarm', '-p', project, 'down'], {
      cwd: dir,
      env: { ...process.env, DOCKER_HOST: l.env.DOCKER_HOST },
    }).catch(() => {});
    if (dir) rmSync(dir, { recursive: true, force: true });
    await builder?.stop();
    await l.stop();
  });

  test(
    "up --build --wait: built and pushed, deployed by digest; three healthy replicas on three nodes answer on each node's host port, with the secret and config mounted",
    LIMIT,
    async () => {
      const up = await cli(['up', '-d', '--wait', '--build']);
      assert.match(up.stderr, new RegExp(`Service ${project}_web created`));
      assert.deepEqual(
        (await services(l.docker)).map((s) => s.name),
        [`${project}_client`, `${project}_web`],
      );
      const digest = await registryDigest();
      assert.match(digest ?? '', /^sha256:[a-f0-9]{64}$/, 'the build was pushed to the registry');
      for (const svc of ['web', 'client'])
        assert.equal((await inspectService(svc)).Spec.TaskTemplate.ContainerSpec.Image, `${image}@${digest}`);

      const tasks = await runningTasks('web');
      assert.equal(new Set(tasks.map((t) => t.NodeID)).size, 3, `web tasks on nodes ${tasks.map((t) => t.NodeID).join(', ')}`);
      // up --wait returned once every task was healthy: every node's host port answers now, each from a different replica
      const pages = await Promise.all((await nodeAddresses()).map(page));
      assert.equal(pages.length, 3);
      for (const p of pages) assert.match(p, /^web \S+ greeting=hello config=v1 secret=s3cret\n$/);
      assert.equal(new Set(pages.map((p) => p.split(' ')[1])).size, 3, `replicas not on 3 distinct nodes: ${pages.join('')}`);

      const ps = await cli(['ps']);
      assert.equal(
        ps.stdout.split('\n').filter((line) => line.startsWith(`${project}_web.`) && / Running /.test(line)).length,
        3,
        ps.stdout,
      );
      const images = await cli(['images', '--format', 'json']);
      const web = (JSON.parse(images.stdout) as { Service: string; Digest: string; Nodes: string[] }[]).find((r) => r.Service === 'web');
      assert.equal(web?.Digest, digest);
      assert.equal(web?.Nodes.length, 3);
      assert.match((await cli(['pull'])).stdout, new RegExp(`web: ${image.replace(/[.]/g, '\\.')}@${digest}`));

      // the stack labels make it docker stack's too
      const docker = (args: string[]) => run('docker', ['-H', l.env.DOCKER_HOST, 'stack', ...args]);
      assert.match((await docker(['ls', '--format', '{{.Name}} {{.Services}}'])).stdout, new RegExp(`^${project} 2$`, 'm'));
      assert.deepEqual((await docker(['services', '--format', '{{.Name}}', project])).stdout.trim().split('\n').sort(), [
        `${project}_client`,
        `${project}_web`,
      ]);
    },
  );

  test('service DNS on the overlay reaches every replica from another service', LIMIT, async () => {
    const hosts = new Set<string>();
    const deadline = Date.now() + 60_000;
    while (hosts.size < 3 && Date.now() < deadline) {
      const logs = await cli(['logs', 'client']);
      for (const m of logs.stdout.matchAll(/via [\d.]+: web (\S+) greeting=hello config=v1/g)) hosts.add(m[1]!);
      if (hosts.size < 3) await new Promise((r) => setTimeout(r, 1000));
    }
    assert.equal(hosts.size, 3, `the client reached ${[...hosts].join(', ') || 'no replica'}`);
  });

  test('a second up with no change updates no service', LIMIT, async () => {
    const before = await services(l.docker);
    const up = await cli(['up', '-d']);
    assert.deepEqual(await services(l.docker), before);
    assert.match(up.stderr, new RegExp(`Service ${project}_web unchanged`));
    assert.doesNotMatch(up.stderr, /updated|created/);
  });

  test(
    'an environment and config change roll the service out task by task; the other service is left alone; the old config is removed',
    LIMIT,
    async () => {
      const before = await services(l.docker);
      const up = await cli(['up', '-d', '--wait'], { GREETING: 'hola', SITE: 'v2' });
      assert.match(up.stderr, new RegExp(`Service ${project}_web updated`));
      assert.match(up.stderr, new RegExp(`Service ${project}_client unchanged`));
      const after = await services(l.docker);
      const version = (list: typeof before, svc: string) => list.find((s) => s.name === `${project}_${svc}`)!.version;
      assert.ok(version(after, 'web') > version(before, 'web'));
      assert.equal(version(after, 'client'), version(before, 'client'));
      // a rolling update (not a recreate): the manager ran it to completion under update_config (one task at a time)
      assert.equal((await inspectService('web')).UpdateStatus?.State, 'completed');
      for (const p of await Promise.all((await nodeAddresses()).map(page))) assert.match(p, /greeting=hola config=v2 /);
      const configs = (await l.docker.listConfigs({ filters: { label: [`${NAMESPACE}=${project}`] } } as never)) as unknown as {
        Spec: { Name: string };
      }[];
      assert.equal(configs.length, 1, `configs left: ${configs.map((c) => c.Spec.Name).join(', ')}`);
    },
  );

  test('a service whose task fails (no restart) fails up, naming the task, its node, its error and its last log lines', LIMIT, async () => {
    const failing = path.join(dir, 'failing');
    mkdirSync(failing);
    const image = /image: (\S+)/.exec(readFileSync(path.join(dir, 'compose.yaml'), 'utf8'))![1];
    writeFileSync(
      path.join(failing, 'compose.yaml'),
      `services:\n  crash:\n    image: ${image}\n    command: ["sh", "-c", "echo cannot start: missing DB_URL; exit 3"]\n    deploy: {endpoint_mode: dnsrr, restart_policy: {condition: none}}\n`,
    );
    const env = { ...process.env, DOCKER_HOST: l.env.DOCKER_HOST };
    const args = [CLI, '--engine', 'swarm', '-p', `${project}f`, '-f', path.join(failing, 'compose.yaml')];
    try {
      const result = await run(process.execPath, [...args, 'up', '-d'], { env, timeout: 150_000 }).then(
        () => undefined,
        (err: { code?: number; stderr?: string }) => err,
      );
      assert.ok(result, 'up succeeded with a crashing service');
      assert.equal(result.code, 1);
      assert.match(
        result.stderr ?? '',
        new RegExp(`service ${project}f_crash failed \\(task ${project}f_crash\\.1 on node .+\\): failed: task: non-zero exit \\(3\\)`),
      );
      assert.match(result.stderr ?? '', /last log lines:\n {2}cannot start: missing DB_URL/);
    } finally {
      await run(process.execPath, [...args, 'down'], { env });
    }
  });

  test(
    'the TypeScript API with engine "swarm": up() deploys and waits, tasks() lists the replicas, down() removes the stack',
    LIMIT,
    async () => {
      const apiDir = path.join(dir, 'api');
      mkdirSync(apiDir);
      writeFileSync(
        path.join(apiDir, 'compose.yaml'),
        `services:\n  worker:\n    image: ${image}\n    command: ["sleep", "3600"]\n    stop_signal: SIGKILL\n    deploy: {replicas: 2, endpoint_mode: dnsrr}\n`,
      );
      const env = await loadEnvironment({ engine: 'swarm', cwd: apiDir, env: { DOCKER_HOST: l.env.DOCKER_HOST } });
      try {
        await env.up({ timeout: 120_000 });
        const tasks = await env.tasks('worker');
        assert.deepEqual(
          tasks.map((t) => [t.name, t.desiredState, t.currentState.split(' ')[0]]),
          [
            ['worker.1', 'Running', 'Running'],
            ['worker.2', 'Running', 'Running'],
          ],
        );
        assert.throws(() => env.containers(), /containers\(\): on a swarm the replicas are tasks on other nodes/);
      } finally {
        await env.down();
      }
      assert.deepEqual(await l.docker.listServices({ filters: { label: [`${NAMESPACE}=${env.name}`] } }), []);
    },
  );

  test('a worker node is refused as the swarm engine, with the reason', LIMIT, async () => {
    // the harness's node sockets: n1 is the manager, n2 a worker
    const worker = l.env.DOCKER_HOST.replace(/n1\.sock$/, 'n2.sock');
    const result = await run(process.execPath, [CLI, '--engine', 'swarm', '-p', project, 'ps'], {
      cwd: dir,
      env: { ...process.env, DOCKER_HOST: worker },
    }).then(
      () => undefined,
      (err: { stderr?: string }) => err,
    );
    assert.match(result?.stderr ?? 'succeeded', /--engine swarm: unix:\/\/.*n2\.sock: the engine is a swarm worker, not a manager/);
  });

  test('down removes services, tasks, networks, secrets and configs', LIMIT, async () => {
    const ids = (await l.docker.listServices({ filters: { label: [`${NAMESPACE}=${project}`] } })).map((s) => s.ID);
    await cli(['down']);
    const filters = { label: [`${NAMESPACE}=${project}`] };
    assert.deepEqual(await services(l.docker), []);
    const tasks = (await l.docker.listTasks()) as { ServiceID: string }[];
    assert.deepEqual(
      tasks.filter((t) => ids.includes(t.ServiceID)),
      [],
    );
    assert.deepEqual(
      (await l.docker.listNetworks({ filters })).map((n) => n.Name),
      [],
    );
    assert.deepEqual(await l.docker.listSecrets({ filters } as never), []);
    assert.deepEqual(await l.docker.listConfigs({ filters } as never), []);
  });
});
