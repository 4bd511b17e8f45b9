// ONBUILD triggers and HostConfig.Init on each engine, driven by the docker CLI: a base image records its
// triggers (OnBuild) and a build FROM it runs them; `--init` runs docker-init as PID 1, which reaps the orphans
// a plain PID 1 leaves as zombies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { availableTargets, type EngineTarget } from './engines.js';
import { busyboxImage, dockerCli } from './docker-cli.js';

const targets: EngineTarget[] = [];
const images = new Map<string, string>();
before(async () => {
  targets.push(...(await availableTargets()));
  for (const t of targets) images.set(t.name, await busyboxImage(t));
});
after(async () => {
  for (const t of targets) {
    await dockerCli(t, ['rmi', '-f', images.get(t.name)!]);
    await t.stop();
  }
});

const label = (name: string) => (name === 'bundled' ? 'the bundled engine' : 'Docker Engine');

for (const name of ['bundled', 'docker'] as const) {
  test(`ONBUILD triggers are recorded and run by a build FROM the image on ${label(name)}`, { timeout: 180_000 }, async (t) => {
    const engine = targets.find((x) => x.name === name);
    if (!engine) return t.skip(`${name} engine unavailable`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-e2e-onbuild-'));
    const base = `tsc-e2e-onbuild-base-${randomBytes(4).toString('hex')}`;
    const child = `${base}-child`;
    try {
      writeFileSync(
        path.join(dir, 'Dockerfile.base'),
        [
          `FROM ${images.get(name)}`,
          'ENV GREETING=hello',
          'ONBUILD RUN echo "triggered $GREETING" > /onbuild.txt',
          'onbuild COPY app.txt /app/',
          'ONBUILD ENV CHILD=yes',
          '',
        ].join('\n'),
      );
      writeFileSync(path.join(dir, 'Dockerfile.child'), `FROM ${base}\nRUN cat /onbuild.txt /app/app.txt\n`);
      writeFileSync(path.join(dir, 'app.txt'), 'from the child context\n');
      const b = await dockerCli(engine, ['build', '-q', '-t', base, '-f', path.join(dir, 'Dockerfile.base'), dir]);
      assert.equal(b.code, 0, b.stderr);
      const baseTriggers = await dockerCli(engine, ['image', 'inspect', '-f', '{{json .Config.OnBuild}}', base]);
      assert.deepEqual(JSON.parse(baseTriggers.stdout), [
        'RUN echo "triggered $GREETING" > /onbuild.txt',
        'COPY app.txt /app/',
        'ENV CHILD=yes',
      ]);
      const running = await dockerCli(engine, ['run', '--rm', base, 'sh', '-c', 'cat /onbuild.txt 2>&1; echo "child=$CHILD"']);
      assert.match(running.stdout, /No such file/, 'the triggers did not run in the base image itself');

      const c = await dockerCli(engine, ['build', '-t', child, '-f', path.join(dir, 'Dockerfile.child'), dir]);
      assert.equal(c.code, 0, c.stderr);
      assert.match(c.stdout, /# Executing 3 build triggers/);
      assert.match(c.stdout, /triggered hello\nfrom the child context/, 'the RUN step after FROM saw what the triggers made');
      const childTriggers = await dockerCli(engine, ['image', 'inspect', '-f', '{{json .Config.OnBuild}}', child]);
      assert.equal(childTriggers.stdout.trim(), 'null', 'the child image does not keep its base image triggers');
      const out = await dockerCli(engine, ['run', '--rm', child, 'sh', '-c', 'cat /onbuild.txt /app/app.txt; echo "child=$CHILD"']);
      assert.equal(out.stdout, 'triggered hello\nfrom the child context\nchild=yes\n');

      writeFileSync(path.join(dir, 'Dockerfile.bad'), `FROM ${images.get(name)}\nONBUILD ONBUILD RUN true\n`);
      const chained = await dockerCli(engine, ['build', '-f', path.join(dir, 'Dockerfile.bad'), dir]);
      assert.notEqual(chained.code, 0);
      assert.match(chained.stderr, /Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed/);
    } finally {
      await dockerCli(engine, ['rmi', '-f', child, base]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`--init runs docker-init as PID 1, which reaps orphaned zombies, on ${label(name)}`, { timeout: 120_000 }, async (t) => {
    const engine = targets.find((x) => x.name === name);
    if (!engine) return t.skip(`${name} engine unavailable`);
    // an orphan (the backgrounded sleep, its parent gone) is adopted by PID 1; `exec sleep` as PID 1 never waits for it
    const orphanMaker = ['sh', '-c', 'sh -c "sleep 0.2 &"; exec sleep 60'];
    const processes = async (init: boolean) => {
      const run = await dockerCli(engine, [
        'run',
        '-d',
        '--network',
        'none',
        ...(init ? ['--init'] : []),
        images.get(name)!,
        ...orphanMaker,
      ]);
      assert.equal(run.code, 0, run.stderr);
      const id = run.stdout.trim();
      try {
        await new Promise((r) => setTimeout(r, 1500)); // the orphan has exited by then
        const ps = await dockerCli(engine, ['exec', id, 'ps', '-o', 'pid,stat,comm']);
        assert.equal(ps.code, 0, ps.stderr);
        return ps.stdout
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => l.trim().split(/\s+/))
          .map(([pid, stat, comm]) => ({ pid: Number(pid), stat: stat!, comm: comm! }));
      } finally {
        await dockerCli(engine, ['rm', '-f', id]);
      }
    };
    const withInit = await processes(true);
    assert.equal(withInit.find((p) => p.pid === 1)?.comm, 'docker-init', JSON.stringify(withInit));
    assert.ok(!withInit.some((p) => p.stat.startsWith('Z')), `no zombie under docker-init: ${JSON.stringify(withInit)}`);
    const without = await processes(false);
    assert.equal(without.find((p) => p.pid === 1)?.comm, 'sleep');
    assert.ok(
      without.some((p) => p.stat.startsWith('Z')),
      `the control: without an init the orphan stays a zombie: ${JSON.stringify(without)}`,
    );
  });
}
