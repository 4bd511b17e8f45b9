// A recreated container keeps its anonymous volumes (the service's unnamed ones and its image's VOLUME), as
// docker compose does, on each engine; a named volume is the project's, and down -v removes them all.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { busyboxContext } from '../../helpers/busybox-image.js';
import { availableTargets, type EngineTarget } from './engines.js';
import { Stack } from './stack.js';

let context: string;
const targets: EngineTarget[] = [];
before(async () => {
  context = busyboxContext(['VOLUME /cache']);
  targets.push(...(await availableTargets()));
});
after(async () => {
  for (const t of targets) await t.stop();
  rmSync(context, { recursive: true, force: true });
});

const compose = (greeting: string) => `
services:
  app:
    build: ${context}
    command: ["sleep", "300"]
    environment: { GREETING: ${greeting} }
    volumes: [/data]
    stop_grace_period: 1s
`;

for (const name of ['bundled', 'docker'] as const) {
  test(
    `recreate keeps anonymous volumes on ${name === 'bundled' ? 'the bundled engine' : 'Docker Engine'}`,
    { timeout: 240_000 },
    async (t) => {
      const engine = targets.find((x) => x.name === name);
      if (!engine) {
        t.skip(`${name} engine unavailable`);
        return;
      }
      const stack = new Stack(engine, compose('one'));
      try {
        const up = await stack.cli(['up', '-d']);
        assert.equal(up.code, 0, up.stderr);
        const wrote = await stack.cli(['exec', '-T', 'app', 'sh', '-c', 'echo kept > /data/f && echo cached > /cache/f']);
        assert.equal(wrote.code, 0, wrote.stderr);
        const before = (await stack.containers())[0]!.Id;

        stack.write(compose('two'));
        const again = await stack.cli(['up', '-d']);
        assert.equal(again.code, 0, again.stderr);
        const after = (await stack.containers())[0]!.Id;
        assert.notEqual(after, before, 'the changed service was recreated');
        const read = await stack.cli(['exec', '-T', 'app', 'cat', '/data/f', '/cache/f']);
        assert.equal(read.code, 0, read.stderr);
        assert.equal(read.stdout, 'kept\ncached\n', 'the data in both anonymous volumes survived the recreate');
      } finally {
        const down = await stack.cli(['down', '-v']);
        assert.equal(down.code, 0, down.stderr);
        rmSync(stack.dir, { recursive: true, force: true });
      }
    },
  );
}
