// The interop case, run once per engine (testcontainers caches its engine client per process, so
// each engine gets its own test file): build a local busybox image, start it with GenericContainer
// without pulling anything, reach its mapped port from the host, exec in it, stop it.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { busyboxContext } from '../../helpers/busybox-image.js';

export async function genericContainerRoundTrip(dockerHost: string): Promise<void> {
  process.env.DOCKER_HOST = dockerHost;
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  const { GenericContainer, Wait } = await import('testcontainers');
  const never = { shouldPull: () => false };
  const tag = `tsc-tc-${randomBytes(4).toString('hex')}:latest`;
  const context = busyboxContext(['RUN ["/bin/sh", "-c", "mkdir -p /www && echo hello-from-testcontainers > /www/index.html"]']);
  const Docker = (await import('dockerode')).default;
  const docker = new Docker({ socketPath: dockerHost.replace(/^unix:\/\//, '') });
  try {
    await GenericContainer.fromDockerfile(context).withPullPolicy(never).build(tag, { deleteOnExit: false });
    const started = await new GenericContainer(tag)
      .withPullPolicy(never)
      .withCommand(['httpd', '-f', '-p', '8080', '-h', '/www'])
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forListeningPorts())
      .withStartupTimeout(60_000)
      .start();
    try {
      const port = started.getMappedPort(8080);
      assert.ok(port > 0, 'a host port is mapped');
      const res = await fetch(`http://127.0.0.1:${port}/index.html`);
      assert.equal(res.status, 200);
      assert.equal((await res.text()).trim(), 'hello-from-testcontainers');
      const exec = await started.exec(['cat', '/www/index.html']);
      assert.equal(exec.exitCode, 0);
      assert.equal(exec.output.trim(), 'hello-from-testcontainers');
    } finally {
      const stopped = await started.stop();
      const gone = await docker
        .getContainer(stopped.getId())
        .inspect()
        .then(
          () => false,
          (err: { statusCode?: number }) => err.statusCode === 404,
        );
      assert.ok(gone, 'stop() removes the container');
    }
  } finally {
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
    rmSync(context, { recursive: true, force: true });
  }
}
