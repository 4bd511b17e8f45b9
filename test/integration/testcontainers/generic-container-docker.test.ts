// testcontainers' GenericContainer on Debian's Docker Engine: proves the interop case itself.
import { test } from 'node:test';
import { ensureDockerd } from '../../helpers/dockerd.js';
import { genericContainerRoundTrip } from './generic-container-case.js';

const dockerd = await ensureDockerd();

test(
  'GenericContainer starts, maps a port, execs and stops on the Docker Engine',
  { skip: !dockerd && 'dockerd is not available', timeout: 180_000 },
  async () => {
    await genericContainerRoundTrip('unix:///var/run/docker.sock');
  },
);
