// testcontainers' GenericContainer with DOCKER_HOST pointing at the bundled engine (a private
// daemon on a temp state root and socket, started and removed by this file).
import { after, test } from 'node:test';
import { bundledEngine, type TestEngine } from '../../e2e/api/engines.js';
import { genericContainerRoundTrip } from './generic-container-case.js';

const engine: TestEngine | undefined = await bundledEngine();
after(async () => {
  await engine?.close();
});

test(
  'GenericContainer starts, maps a port, execs and stops on the bundled engine',
  { skip: !engine && 'the bundled engine is not available', timeout: 180_000 },
  async () => {
    await genericContainerRoundTrip(`unix://${engine!.socket}`);
  },
);
