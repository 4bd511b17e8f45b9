// develop.watch on the bundled engine: a private daemon on a temp state root and socket.
import { bundledEngine } from '../api/engines.js';
import { defineWatchSuite } from './suite.js';

const engine = await bundledEngine();
defineWatchSuite(
  'the bundled engine',
  engine && { docker: engine.docker, engineKey: `bundled:${engine.socket}`, close: () => engine.close() },
);
