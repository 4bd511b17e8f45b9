// develop.watch on Debian's Docker Engine.
import Docker from 'dockerode';
import { ensureDockerd } from '../../helpers/dockerd.js';
import { defineWatchSuite } from './suite.js';

const available = await ensureDockerd();
defineWatchSuite(
  'Docker Engine',
  available
    ? { docker: new Docker({ socketPath: '/var/run/docker.sock' }), engineKey: 'docker:/var/run/docker.sock', async close() {} }
    : undefined,
);
