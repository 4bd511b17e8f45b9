// Wires the bundled engine: state paths, event bus, OCI runtime, the image/network/volume subsystems,
// containers and exec, and the Docker Engine API server on a unix socket.
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import type {
  EngineContext,
  ImageBuilding,
  ImageManagement,
  ImageService,
  NetworkManagement,
  NetworkService,
  OneShotRunner,
  VolumeManagement,
  VolumeService,
} from './contracts.js';
import { EventBus, type EngineEvent } from './events.js';
import { createLogger, logFailure, type Logger } from './log.js';
import { enginePaths, type EnginePaths } from './paths.js';
import { Router } from './api/router.js';
import { createApiServer, shutdownServer } from './api/server.js';
import { registerSystemRoutes } from './api/system-routes.js';
import { registerContainerRoutes } from './api/container-routes.js';
import { registerSystemDfRoute } from './api/system-df-route.js';
import { registerContainerImageRoutes } from './api/container-image-routes.js';
import { registerUnavailableRoutes } from './api/unavailable-routes.js';
import { registerNetworkMembershipRoutes } from './api/network-membership-routes.js';
import { registerImageRoutes } from './api/image-routes.js';
import { registerImageCreateRoute } from './api/image-create-route.js';
import { registerBuildRoutes } from './api/build-routes.js';
import { registerNetworkRoutes } from './api/network-routes.js';
import { registerVolumeRoutes } from './api/volume-routes.js';
import { createImageService } from './images/index.js';
import { createNetworkService } from './network/index.js';
import { createVolumeService } from './volumes/index.js';
import { OciRuntime, detectRuntimeBinary } from './runtime/oci-runtime.js';
import { createOneShotRunner } from './runtime/oneshot.js';
import { withStepNetworks } from './runtime/step-network.js';
import { ContainerService } from './containers/service.js';
import { ExecService } from './containers/exec.js';
import { ExecRecords } from './containers/exec-records.js';

/** Each subsystem as the daemon wires it: the seams other subsystems use plus what its API routes use. */
export type EngineImages = ImageService & ImageManagement & ImageBuilding;
export type EngineNetworks = NetworkService & NetworkManagement;
export type EngineVolumes = VolumeService & VolumeManagement;

export interface EngineOptions {
  root: string;
  socketPath: string;
  /** the API socket's mode: 0660 by default; one that gives others any access is refused */
  socketMode?: number;
  /** the group that owns the API socket (a name or gid; TSCOMPOSE_ENGINE_GROUP), like Docker's `docker` group */
  socketGroup?: string;
  /** Subsystem factories; default to the real ones (tests may wrap them). */
  images?: (ctx: EngineContext, runner: OneShotRunner) => EngineImages;
  networks?: (ctx: EngineContext) => EngineNetworks;
  volumes?: (ctx: EngineContext) => EngineVolumes;
  /** default: stderr and <root>/engine.log, at TSCOMPOSE_LOG_LEVEL (info) */
  log?: Logger;
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
  } catch {
    return '0.0.0';
  }
}

/** A group name (from /etc/group) or a numeric gid; undefined keeps root's group. */
function resolveGroup(group: string | undefined): number | undefined {
  if (!group) return undefined;
  if (/^\d+$/.test(group)) return Number(group);
  let table = '';
  try {
    table = readFileSync('/etc/group', 'utf8');
  } catch {
    /* no table: unknown below */
  }
  const line = table.split('\n').find((l) => l.split(':')[0] === group);
  if (!line) throw new UserError(`TSCOMPOSE_ENGINE_GROUP: no group named ${group}`);
  return Number(line.split(':')[2]);
}

export async function startEngine(opts: EngineOptions): Promise<Engine> {
  const paths = enginePaths(opts.root);
  const socketMode = opts.socketMode ?? 0o660;
  if (socketMode & 0o007)
    throw new UserError(
      `refusing to serve the engine API on a socket others can use (mode ${socketMode.toString(8)}): anyone who can reach it is root`,
    );
  const socketGid = resolveGroup(opts.socketGroup ?? process.env.TSCOMPOSE_ENGINE_GROUP);
  await Promise.all(
    Object.values(paths)
      .filter((p) => !path.extname(p))
      .map((p) => mkdir(p, { recursive: true })),
  );
  // like /var/lib/docker: container filesystems, volumes and logs are nobody else's business
  await chmod(paths.root, 0o710);
  await mkdir(path.join(paths.root, 'runc'), { recursive: true });
  const events = new EventBus();
  const log = opts.log ?? createLogger({ file: paths.log });
  const ctx: EngineContext = { paths, events, log };
  const runtime = new OciRuntime(detectRuntimeBinary(), path.join(paths.root, 'runc'));
  const networks = (opts.networks ?? createNetworkService)(ctx);
  // build steps get a network namespace of their own on the default bridge (or what the build asks for)
  const runner = withStepNetworks(createOneShotRunner(paths, runtime), networks);
  const images = (opts.images ?? createImageService)(ctx, runner);
  const volumes = (opts.volumes ?? createVolumeService)(ctx);
  const containers = new ContainerService({ ctx, images, networks, volumes, runtime });
  await containers.init();
  images.setUsageProbe?.((imageId) =>
    containers.store
      .all()
      .filter((c) => c.imageId === imageId)
      .map((c) => c.id),
  );
  const execs = new ExecService(containers, runtime, paths.tmp, new ExecRecords(paths.execs));
  await execs.restore();
  const onNetworkEvent = (e: EngineEvent) => {
    const id = e.Actor.Attributes.container;
    if (e.Type === 'network' && (e.Action === 'connect' || e.Action === 'disconnect') && id) {
      void containers.refreshNetworkSettings(id).catch(logFailure(log, 'refreshing network settings', { container: id }));
    }
  };
  events.on('event', onNetworkEvent);

  const router = new Router();
  registerSystemRoutes(router, events, {
    root: paths.root,
    runtimeBinary: runtime.binary,
    packageVersion: packageVersion(),
    counts: async () => {
      const all = containers.store.all();
      return {
        containers: all.length,
        running: all.filter((c) => c.state.running && !c.state.paused).length,
        paused: all.filter((c) => c.state.paused).length,
        stopped: all.filter((c) => !c.state.running).length,
        images: (await images.list()).length,
      };
    },
    containerName: (id) => containers.store.byId.get(id)?.name.slice(1),
  });
  registerContainerRoutes(router, containers, execs);
  registerContainerImageRoutes(router, containers, images);
  registerSystemDfRoute(router, { images: () => images.list(), containers: () => containers.store.all(), volumes });
  registerUnavailableRoutes(router);
  registerImageRoutes(router, images);
  registerImageCreateRoute(router, images);
  registerBuildRoutes(router, images);
  registerNetworkMembershipRoutes(router, containers);
  registerNetworkRoutes(router, networks);
  registerVolumeRoutes(router, volumes);

  const server = createApiServer(router);
  await mkdir(path.dirname(opts.socketPath), { recursive: true });
  await rm(opts.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // bind() creates the socket file with the umask's mode: no moment where others may connect
    const umask = process.umask(0o177);
    try {
      server.listen(opts.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  });
  if (socketGid !== undefined) await chown(opts.socketPath, 0, socketGid);
  await chmod(opts.socketPath, socketMode);
  events.publish({ Type: 'daemon', Action: 'start', Actor: { ID: paths.root, Attributes: {} } });

  return {
    paths,
    events,
    containers,
    server,
    async close(closeOpts = {}) {
      events.off('event', onNetworkEvent);
      containers.close(closeOpts.stopSupervisor ?? true);
      execs.close();
      await shutdownServer(server);
      await containers.drained();
      await networks.close?.();
      await rm(opts.socketPath, { force: true });
    },
  };
}
