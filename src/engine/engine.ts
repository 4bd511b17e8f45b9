// Wires the bundled engine: state paths, event bus, OCI runtime, the image/network/volume subsystems,
// containers and exec, and the Docker Engine API server on a unix socket.
import { chmod, mkdir, rm } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { EngineContext, ImageService, NetworkService, OneShotRunner, VolumeService } from './contracts.js';
import { EventBus, type EngineEvent } from './events.js';
import { enginePaths, type EnginePaths } from './paths.js';
import { Router } from './api/router.js';
import { createApiServer, shutdownServer } from './api/server.js';
import { registerSystemRoutes } from './api/system-routes.js';
import { registerContainerRoutes } from './api/container-routes.js';
import { registerNetworkMembershipRoutes } from './api/network-membership-routes.js';
import { createImageService } from './images/index.js';
import { createNetworkService } from './network/index.js';
import { createVolumeService } from './volumes/index.js';
import { OciRuntime, detectRuntimeBinary } from './runtime/oci-runtime.js';
import { createOneShotRunner } from './runtime/oneshot.js';
import { withStepNetworks } from './runtime/step-network.js';
import { ContainerService } from './containers/service.js';
import { ExecService } from './containers/exec.js';

export interface EngineOptions {
  root: string;
  socketPath: string;
  socketMode?: number;
  /** Subsystem factories; default to the real ones (tests may wrap them). */
  images?: (ctx: EngineContext, runner: OneShotRunner) => ImageService;
  networks?: (ctx: EngineContext) => NetworkService;
  volumes?: (ctx: EngineContext) => VolumeService;
}

export interface Engine {
  paths: EnginePaths;
  events: EventBus;
  containers: ContainerService;
  server: http.Server;
  /** Stops serving; containers keep running under the supervisor and are adopted by the next engine.
   *  The supervisor itself ends when no container runs (unless `stopSupervisor: false`). */
  close(opts?: { stopSupervisor?: boolean }): Promise<void>;
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch { return '0.0.0'; }
}

export async function startEngine(opts: EngineOptions): Promise<Engine> {
  const paths = enginePaths(opts.root);
  await Promise.all(Object.values(paths).filter((p) => !path.extname(p)).map((p) => mkdir(p, { recursive: true })));
  await mkdir(path.join(paths.root, 'runc'), { recursive: true });
  const events = new EventBus();
  const ctx: EngineContext = { paths, events };
  const runtime = new OciRuntime(detectRuntimeBinary(), path.join(paths.root, 'runc'));
  const networks = (opts.networks ?? createNetworkService)(ctx);
  // build steps get a network namespace of their own on the default bridge (or what the build asks for)
  const runner = withStepNetworks(createOneShotRunner(paths, runtime), networks);
  const images = (opts.images ?? createImageService)(ctx, runner);
  const volumes = (opts.volumes ?? createVolumeService)(ctx);
  const containers = new ContainerService({ ctx, images, networks, volumes, runtime });
  await containers.init();
  images.setUsageProbe?.((imageId) => containers.store.all().filter((c) => c.Image === imageId).map((c) => c.Id));
  const execs = new ExecService(containers, runtime, paths.tmp);
  const onNetworkEvent = (e: EngineEvent) => {
    const id = e.Actor.Attributes.container;
    if (e.Type === 'network' && (e.Action === 'connect' || e.Action === 'disconnect') && id) {
      void containers.refreshNetworkSettings(id).catch(() => {});
    }
  };
  events.on('event', onNetworkEvent);

  const router = new Router();
  registerSystemRoutes(router, events, {
    root: paths.root, runtimeBinary: runtime.binary, packageVersion: packageVersion(),
    counts: async () => {
      const all = containers.store.all();
      return {
        containers: all.length, running: all.filter((c) => c.State.Running && !c.State.Paused).length,
        paused: all.filter((c) => c.State.Paused).length, stopped: all.filter((c) => !c.State.Running).length,
        images: (await images.list()).length,
      };
    },
    containerName: (id) => containers.store.byId.get(id)?.Name.slice(1),
  });
  registerContainerRoutes(router, containers, execs);
  images.registerRoutes(router);
  registerNetworkMembershipRoutes(router, containers, networks); // before the network routes: the first match serves
  networks.registerRoutes(router);
  volumes.registerRoutes(router);

  const server = createApiServer(router);
  await mkdir(path.dirname(opts.socketPath), { recursive: true });
  await rm(opts.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.socketPath, () => { server.off('error', reject); resolve(); });
  });
  await chmod(opts.socketPath, opts.socketMode ?? 0o660);
  events.publish({ Type: 'daemon', Action: 'start', Actor: { ID: paths.root, Attributes: {} } });

  return {
    paths, events, containers, server,
    async close(closeOpts = {}) {
      events.off('event', onNetworkEvent);
      containers.close(closeOpts.stopSupervisor ?? true);
      await shutdownServer(server);
      await containers.drained();
      await networks.close?.();
      await rm(opts.socketPath, { force: true });
    },
  };
}
