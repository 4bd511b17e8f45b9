// `up` (attached) and `logs -f` keep following a container that its restart policy restarts, as docker compose
// does, on each engine; `docker logs -f` itself ends at the container's exit, as Docker's does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { availableTargets, type EngineTarget } from './engines.js';
import { Stack } from './stack.js';

let context: string;
const targets: EngineTarget[] = [];
before(async () => {
  context = busyboxContext();
  targets.push(...(await availableTargets()));
});
after(async () => {
  for (const t of targets) await t.stop();
  rmSync(context, { recursive: true, force: true });
});

// each run prints a line that names it (the host's uptime, in hundredths of a second, differs from run to run)
const compose = () => `
services:
  flaky:
    build: ${context}
    command: ["sh", "-c", "echo run-$$(cat /proc/uptime | tr -d ' '); sleep 1; exit 3"]
    restart: on-failure:2
`;

const runs = (text: string) => text.split('\n').filter((l) => /run-\d/.test(l));

for (const name of ['bundled', 'docker'] as const) {
  test(
    `up and logs -f follow a container through its restart policy's restarts on ${name === 'bundled' ? 'the bundled engine' : 'Docker Engine'}`,
    { timeout: 240_000 },
    async (t) => {
      const engine = targets.find((x) => x.name === name);
      if (!engine) {
        t.skip(`${name} engine unavailable`);
        return;
      }
      const stack = new Stack(engine, compose());
      try {
        // attached: the first run and both restarts (on-failure:2), each end reported, then up returns by itself
        const up = await stack.cli(['up'], {}, 120_000);
        assert.equal(up.code, 0, up.stderr);
        const attached = runs(up.stdout);
        assert.equal(attached.length, 3, `three runs printed:\n${up.stdout}`);
        assert.equal(new Set(attached).size, 3, 'each run once');
        assert.equal(up.stdout.match(/flaky-1 exited with code 3/g)?.length, 3, up.stdout);

        // a client's start counts restarts from zero again: three more runs, which logs -f follows to the last
        const again = await stack.cli(['up', '-d']);
        assert.equal(again.code, 0, again.stderr);
        const follow = await stack.cli(['logs', '-f', '--no-log-prefix'], {}, 120_000);
        assert.equal(follow.code, 0, follow.stderr);
        const followed = runs(follow.stdout);
        assert.equal(followed.length, 6, `the three earlier runs and the three new ones:\n${follow.stdout}`);
        assert.equal(new Set(followed).size, 6, 'no run printed twice');
        assert.deepEqual(
          followed.slice(0, 3),
          attached.map((l) => l.replace(/^.*\| /, '')),
          'the earlier runs first',
        );
        const container = engine.docker.getContainer((await stack.containers())[0]!.Id);
        assert.equal((await container.inspect()).State.Running, false, 'logs -f returned once the container had stopped for good');

        // the Engine API's own follow ends at the exit, restart policy or not (docker logs -f, as Docker does)
        await container.start();
        const stream = (await container.logs({ stdout: true, stderr: true, follow: true, tail: 0 })) as NodeJS.ReadableStream;
        let text = '';
        stream.on('data', (d: Buffer) => (text += d.toString('utf8')));
        await new Promise<void>((resolve) => {
          stream.on('end', resolve);
          stream.on('close', resolve);
        });
        assert.ok(runs(text).length <= 1, `the engine's follow stopped at the first exit:\n${text}`);
        const after = await container.inspect();
        assert.ok(after.State.Restarting || after.State.Running, 'while the restart policy brings the container back');
        await container.stop({ t: 0 }).catch(() => {});
      } finally {
        await stack.cleanup();
      }
    },
  );
}
