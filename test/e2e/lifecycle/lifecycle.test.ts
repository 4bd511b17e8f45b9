// The lifecycle CLI end to end against each available engine: a 4-service stack built from busybox,
// driven through the built CLI, checked through the engine API, HTTP and exit codes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { bundledTarget, CLI, dockerTarget, type EngineTarget } from './engines.js';
import { eventually, httpGet, Stack } from './stack.js';

const LABEL_PROJECT = 'com.docker.compose.project';
/** no single test may hang the suite */
const LIMIT = { timeout: 180_000 };

function stackFile(context: string): string {
  return `
services:
  migrate:
    build: ${context}
    command: ["sh", "-c", "echo migrated > /data/migrated && echo migration done"]
    volumes: [data:/data]
  web:
    build: ${context}
    command: ["httpd", "-f", "-p", "8080", "-h", "/data"]
    ports: ["127.0.0.1::8080"]
    volumes: [data:/data]
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD-SHELL", "timeout 2 wget -q -O /dev/null http://127.0.0.1:8080/migrated || exit 1"]
      interval: 1s
      retries: 30
    depends_on:
      migrate: { condition: service_completed_successfully }
  client:
    build: ${context}
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do echo \\"got $$(timeout 2 wget -q -O - http://web:8080/migrated) $$GREETING\\"; sleep 1; done"]
    environment:
      GREETING: \${GREETING:-hello}
    stop_grace_period: 1s
    depends_on:
      web: { condition: service_healthy }
  boots:
    build: ${context}
    command: ["sh", "-c", "trap 'exit 0' TERM; echo boot >> /data/boots; while true; do sleep 1; done"]
    volumes: [data:/data]
    stop_grace_period: 1s
    depends_on: [migrate]
volumes:
  data:
`;
}

const targets: EngineTarget[] = [];
const contexts: string[] = [];

before(async () => {
  assert.ok(existsSync(CLI), `build first (npm run build): ${CLI} is missing`);
  const docker = await dockerTarget();
  if (docker) targets.push(docker);
  const bundled = await bundledTarget();
  if (bundled) targets.push(bundled);
});

after(async () => {
  for (const c of contexts) rmSync(c, { recursive: true, force: true });
  for (const t of targets) await t.stop();
});

for (const engineName of ['docker', 'bundled'] as const) {
  describe(`lifecycle on the ${engineName} engine`, () => {
    let target: EngineTarget | undefined;
    let stack: Stack;
    /** the web server's address on the host, as `port` reports it */
    const webAddress = async () => {
      const r = await stack.cli(['port', 'web', '8080']);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    };
    const skip = () => !target;
    let stackUp = false; // tests on the shared stack skip when the first up failed, instead of cascading
    const skipStack = () => !target || !stackUp;

    before(async () => {
      target = targets.find((t) => t.name === engineName);
      if (!target) return;
      const context = busyboxContext(['RUN ["/bin/mkdir", "-p", "/data"]']);
      contexts.push(context);
      stack = new Stack(target, stackFile(context));
    });

    after(async () => {
      if (stack) await stack.cleanup();
    });

    test('up -d --wait builds, orders and starts the stack', LIMIT, async (t) => {
      if (skip()) return t.skip(`${engineName} engine not available`);
      const r = await stack.cli(['up', '-d', '--wait', '--wait-timeout', '60']);
      assert.equal(r.code, 0, r.stderr);
      const containers = await stack.containers();
      const byService = Object.fromEntries(containers.map((c) => [c.Labels['com.docker.compose.service'], c]));
      assert.deepEqual(Object.keys(byService).sort(), ['boots', 'client', 'migrate', 'web']);
      assert.equal(byService.migrate.State, 'exited');
      assert.match(byService.migrate.Status, /Exited \(0\)/);
      for (const s of ['web', 'client', 'boots']) assert.equal(byService[s].State, 'running', s);
      assert.equal(byService.web.Names[0], `/${stack.project}-web-1`);
      const web = await target!.docker.getContainer(byService.web.Id).inspect();
      assert.equal(web.State.Health?.Status, 'healthy');
      assert.equal(web.Config.Labels['com.docker.compose.container-number'], '1');
      assert.equal(web.Config.Labels['com.docker.compose.oneoff'], 'False');
      assert.match(web.Config.Labels['com.docker.compose.config-hash'], /^[0-9a-f]{64}$/);
      assert.equal(web.Config.Image, `${stack.project}-web`);
      stackUp = true;
    });

    test('a published port answers from the host', LIMIT, async (t) => {
      if (skipStack()) return t.skip(target ? 'the stack did not come up' : undefined);
      const address = await webAddress();
      assert.match(address, /^127\.0\.0\.1:\d+$/);
      const res = await httpGet(`http://${address}/migrated`);
      assert.equal(res.status, 200);
      assert.equal(res.body.trim(), 'migrated');
    });

    test('the client reaches the web server by service name', LIMIT, async (t) => {
      if (skipStack()) return t.skip(target ? 'the stack did not come up' : undefined);
      const line = await eventually(async () => {
        const r = await stack.cli(['logs', '--no-color', 'client']);
        return r.stdout.split('\n').find((l) => /client-1\s+\| got migrated hello/.test(l));
      });
      assert.ok(line);
    });

    test('up again leaves every container as it was', LIMIT, async (t) => {
      if (skipStack()) return t.skip(target ? 'the stack did not come up' : undefined);
      const before = await stack.idsByName();
      const r = await stack.cli(['up', '-d']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await stack.idsByName(), before);
    });

    test('--dry-run prints the plan and changes nothing', LIMIT, async (t) => {
      if (skipStack()) return t.skip(target ? 'the stack did not come up' : undefined);
      const before = await stack.idsByName();
      const r = await stack.cli(['--dry-run', 'up', '-d'], { GREETING: 'changed' });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`DRY-RUN MODE - Container ${stack.project}-client-1  Recreate`));
      assert.match(r.stdout, new RegExp(`DRY-RUN MODE - Container ${stack.project}-web-1  Running`));
      assert.deepEqual(await stack.idsByName(), before);
    });

    test("changing one service's environment recreates only that service", LIMIT, async (t) => {
      if (skipStack()) return t.skip(target ? 'the stack did not come up' : undefined);
      const before = await stack.idsByName();
      const r = await stack.cli(['up', '-d', '--wait'], { GREETING: 'changed' });
      assert.equal(r.code, 0, r.stderr);
      const now = await stack.idsByName();
      const client = `${stack.project}-client-1`;
      assert.notEqual(now[client], before[client]);
      for (const name of Object.keys(before).filter((n) => n !== client)) assert.equal(now[name], before[name], name);
      const env = (await target!.docker.getContainer(now[client]).inspect()).Config.Env;
      assert.ok(env.includes('GREETING=changed'));
    });

    test('--scale web=3 then web=1', LIMIT, async (t) => {
      if (skipStack()) return t.skip(target ? 'the stack did not come up' : undefined);
      const env = { GREETING: 'changed' };
      const webs = async () =>
        (await stack.containers())
          .filter((c) => c.Labels['com.docker.compose.service'] === 'web')
          .map((c) => c.Names[0].slice(1))
          .sort();
      let r = await stack.cli(['up', '-d', '--wait', '--scale', 'web=3'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        await webs(),
        [1, 2, 3].map((n) => `${stack.project}-web-${n}`),
      );
      const third = await stack.cli(['port', '--index', '3', 'web', '8080']);
      assert.equal((await httpGet(`http://${third.stdout.trim()}/migrated`)).body.trim(), 'migrated');
      r = await stack.cli(['up', '-d', '--scale', 'web=1'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await webs(), [`${stack.project}-web-1`]);
    });

    test('ps lists the services; exec and run pass exit codes through', LIMIT, async (t) => {
      if (skipStack()) return t.skip(target ? 'the stack did not come up' : undefined);
      const ps = await stack.cli(['ps', '--format', 'json']);
      assert.equal(ps.code, 0, ps.stderr);
      const rows = ps.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { Service: string; State: string });
      assert.deepEqual(rows.map((r) => r.Service).sort(), ['boots', 'client', 'web']);
      const services = await stack.cli(['ps', '-a', '--services']);
      assert.deepEqual(services.stdout.trim().split('\n').sort(), ['boots', 'client', 'migrate', 'web']);
      const exec = await stack.cli(['exec', '-T', 'web', 'sh', '-c', 'cat /data/migrated; exit 3']);
      assert.equal(exec.code, 3);
      assert.equal(exec.stdout.trim(), 'migrated');
      const run = await stack.cli(['run', '--rm', '-T', '--no-deps', 'migrate', 'sh', '-c', 'echo one-off; exit 4']);
      assert.equal(run.code, 4, run.stderr);
      assert.match(run.stdout, /one-off/);
      // stdin reaches the command without a TTY (exec -T db psql < dump.sql), and its end is the command's EOF
      const piped = await stack.cli(['exec', '-T', 'web', 'sh', '-c', 'wc -l'], {}, 90_000, 'one\ntwo\nthree\n');
      assert.equal(piped.code, 0, piped.stderr);
      assert.equal(piped.stdout.trim(), '3');
      const pipedRun = await stack.cli(['run', '--rm', '-T', '--no-deps', 'migrate', 'sh', '-c', 'wc -c'], {}, 90_000, 'hello');
      assert.equal(pipedRun.code, 0, pipedRun.stderr);
      assert.equal(pipedRun.stdout.trim(), '5');
      const oneoffs = (await stack.containers()).filter((c) => c.Labels['com.docker.compose.oneoff'] === 'True');
      assert.equal(oneoffs.length, 0);
    });

    test('pause, unpause, stop, start, restart and kill act on the named service only', LIMIT, async (t) => {
      if (skipStack()) return t.skip(target ? 'the stack did not come up' : undefined);
      const state = async (service: string) =>
        (await stack.containers()).find((c) => c.Labels['com.docker.compose.service'] === service)!.State;
      const step = async (args: string[], want: string) => {
        const r = await stack.cli(args);
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
        assert.equal(await state('boots'), want, args.join(' '));
        assert.equal(await state('web'), 'running', `${args.join(' ')} leaves web alone`);
      };
      const dry = await stack.cli(['--dry-run', 'stop', 'boots']);
      assert.match(dry.stdout, /DRY-RUN MODE - stop boots/);
      assert.equal(await state('boots'), 'running');
      await step(['pause', 'boots'], 'paused');
      await step(['unpause', 'boots'], 'running');
      await step(['stop', '-t', '1', 'boots'], 'exited');
      await step(['start', 'boots'], 'running');
      const startedAt = async () => (await target!.docker.getContainer(`${stack.project}-boots-1`).inspect()).State.StartedAt;
      const before = await startedAt();
      await step(['restart', '-t', '1', 'boots'], 'running');
      assert.notEqual(await startedAt(), before, 'restart starts the container again');
      await step(['kill', '-s', 'SIGKILL', 'boots'], 'exited');
      assert.equal((await target!.docker.getContainer(`${stack.project}-boots-1`).inspect()).State.ExitCode, 137);
      await step(['start', 'boots'], 'running');
    });

    test('the volume keeps its data across down and up', LIMIT, async (t) => {
      if (skipStack()) return t.skip(target ? 'the stack did not come up' : undefined);
      let r = await stack.cli(['down']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await stack.containers()).length, 0);
      r = await stack.cli(['up', '-d', '--wait']);
      assert.equal(r.code, 0, r.stderr);
      const boots = await eventually(async () => {
        const res = await httpGet(`http://${await webAddress()}/boots`);
        const lines = res.body.trim().split('\n');
        return lines.length >= 2 ? lines : undefined;
      });
      assert.ok(boots.length >= 2, `boots: ${boots.join(',')}`);
    });

    test('down --volumes removes everything it created and nothing else', LIMIT, async (t) => {
      if (skipStack()) return t.skip(target ? 'the stack did not come up' : undefined);
      const docker = target!.docker;
      const sentinel = `${stack.project}-sentinel`;
      await docker.createVolume({ Name: sentinel });
      try {
        const r = await stack.cli(['down', '-v', '-t', '1']);
        assert.equal(r.code, 0, r.stderr);
        const filters = { label: [`${LABEL_PROJECT}=${stack.project}`] };
        assert.equal((await docker.listContainers({ all: true, filters })).length, 0);
        assert.equal((await docker.listNetworks({ filters })).length, 0);
        assert.equal(((await docker.listVolumes({ filters })).Volumes ?? []).length, 0);
        await docker.getVolume(sentinel).inspect(); // still there
      } finally {
        await docker
          .getVolume(sentinel)
          .remove()
          .catch(() => {});
      }
    });

    test("attached up prefixes every service's logs and --exit-code-from returns that code", LIMIT, async (t) => {
      if (skip()) return t.skip();
      const context = contexts[contexts.length - 1];
      const attached = new Stack(
        target!,
        `
services:
  job:
    build: ${context}
    command: ["sh", "-c", "sleep 1; echo working; exit 7"]
  loop:
    build: ${context}
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do echo tick; sleep 1; done"]
    stop_grace_period: 1s
`,
      );
      try {
        const r = await attached.cli(['up', '--exit-code-from', 'job']);
        assert.equal(r.code, 7, r.stderr);
        const lines = r.stdout.split('\n');
        assert.ok(lines.includes('job-1   | working'), r.stdout);
        assert.ok(
          lines.some((l) => l.startsWith('loop-1  | tick')),
          r.stdout,
        );
        assert.ok(lines.includes('job-1 exited with code 7'), r.stdout);
        const states = (await attached.containers()).map((c) => c.State);
        assert.deepEqual(states, ['exited', 'exited']); // the rest of the stack was stopped
      } finally {
        await attached.cleanup();
      }
    });

    test('concurrent ups and an up killed with SIGKILL converge', LIMIT, async (t) => {
      if (skip()) return t.skip();
      const context = contexts[contexts.length - 1];
      const racing = new Stack(
        target!,
        `
services:
${['a', 'b', 'c']
  .map(
    (n) => `  ${n}:
    build: ${context}
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    stop_grace_period: 1s
`,
  )
  .join('')}`,
      );
      try {
        const [one, two] = await Promise.all([racing.cli(['up', '-d']), racing.cli(['up', '-d'])]);
        assert.equal(one.code, 0, one.stderr);
        assert.equal(two.code, 0, two.stderr);
        const names = (await racing.containers()).map((c) => c.Names[0].slice(1)).sort();
        assert.deepEqual(
          names,
          ['a', 'b', 'c'].map((n) => `${racing.project}-${n}-1`),
        );
        await racing.cli(['down', '-t', '0']);
        const victim = spawn(process.execPath, [CLI, ...target!.flags, '-p', racing.project, 'up', '-d', '--force-recreate'], {
          cwd: racing.dir,
          env: { ...process.env, ...target!.env, CI: '1' },
          stdio: 'ignore',
        });
        const exited = new Promise((r) => victim.once('exit', r)); // it may finish before the kill
        await new Promise((r) => setTimeout(r, 1200));
        victim.kill('SIGKILL');
        await exited;
        const r = await racing.cli(['up', '-d']);
        assert.equal(r.code, 0, r.stderr);
        const after = await racing.containers();
        assert.deepEqual(after.map((c) => c.Names[0].slice(1)).sort(), names);
        assert.ok(after.every((c) => c.State === 'running'));
      } finally {
        await racing.cleanup();
      }
    });

    test('an unhealthy dependency fails up with a message naming it', LIMIT, async (t) => {
      if (skip()) return t.skip();
      const context = contexts[contexts.length - 1];
      const sick = new Stack(
        target!,
        `
services:
  sick:
    build: ${context}
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    stop_grace_period: 1s
    healthcheck: { test: ["CMD", "false"], interval: 1s, retries: 1 }
  after:
    build: ${context}
    command: ["true"]
    depends_on: { sick: { condition: service_healthy } }
`,
      );
      try {
        const r = await sick.cli(['up', '-d']);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /"sick".*unhealthy|unhealthy.*sick/);
        assert.doesNotMatch(r.stderr, /\n\s+at /); // no stack trace
      } finally {
        await sick.cleanup();
      }
    });

    test('an image that cannot be pulled fails clearly and creates nothing', LIMIT, async (t) => {
      if (skip()) return t.skip();
      const unpullable = new Stack(
        target!,
        `
services:
  ghost:
    image: 127.0.0.1:9/tsc-e2e/none:latest
`,
      );
      try {
        const r = await unpullable.cli(['up', '-d']);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /service "ghost": image 127\.0\.0\.1:9\/tsc-e2e\/none:latest cannot be pulled/);
        assert.equal((await unpullable.containers()).length, 0);
        assert.equal((await target!.docker.listNetworks({ filters: { label: [`${LABEL_PROJECT}=${unpullable.project}`] } })).length, 0);
      } finally {
        await unpullable.cleanup();
      }
    });

    test('a port already in use fails clearly and leaves nothing half-created', LIMIT, async (t) => {
      if (skip()) return t.skip();
      const busy = net.createServer().listen(0, '127.0.0.1');
      await new Promise((r) => busy.once('listening', r));
      const busyPort = (busy.address() as net.AddressInfo).port;
      const context = contexts[contexts.length - 1];
      const clash = new Stack(
        target!,
        `
services:
  web:
    build: ${context}
    command: ["httpd", "-f", "-p", "8080"]
    ports: ["127.0.0.1:${busyPort}:8080"]
`,
      );
      try {
        const r = await clash.cli(['up', '-d']);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /service "web".*already in use/);
        assert.equal((await clash.containers()).length, 0);
      } finally {
        busy.close();
        await clash.cleanup();
      }
    });
  });
}
