// /_ping, /version, /info and /events: what clients use to negotiate the API version and follow the engine.
import os from 'node:os';
import { existsSync } from 'node:fs';
import type { EngineEvent, EventBus } from '../events.js';
import { parseFilters, sendJson } from './http.js';
import type { Router } from './router.js';
import { API_VERSION, MIN_API_VERSION } from './server.js';

export interface SystemInfoSource {
  root: string;
  runtimeBinary: string;
  packageVersion: string;
  counts(): Promise<{ containers: number; running: number; paused: number; stopped: number; images: number }>;
  containerName(id: string): string | undefined;
}

const ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64' };
const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };

export function registerSystemRoutes(router: Router, events: EventBus, src: SystemInfoSource): void {
  const serverVersion = `24.0.0+tscompose.${src.packageVersion}`;
  const ping =
    (head: boolean) =>
    ({ res }: { res: import('node:http').ServerResponse }) => {
      res.writeHead(200, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Api-Version': API_VERSION,
        'Builder-Version': '1',
        'Cache-Control': 'no-cache, no-store, must-revalidate',
        Pragma: 'no-cache',
        'Docker-Experimental': 'false',
        Ostype: 'linux',
        'Content-Length': '2',
      });
      res.end(head ? undefined : 'OK');
    };
  router.add('GET', '/_ping', ping(false));
  router.add('HEAD', '/_ping', ping(true));

  router.add('GET', '/version', ({ res }) => {
    const details = {
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      Os: 'linux',
      Arch: GO_ARCH[os.arch()] ?? os.arch(),
      KernelVersion: os.release(),
      GoVersion: `node${process.versions.node}`,
    };
    sendJson(res, 200, {
      Platform: { Name: `tscompose engine ${src.packageVersion}` },
      Components: [
        { Name: 'Engine', Version: serverVersion, Details: { ...details, GitCommit: '', BuildTime: '', Experimental: 'false' } },
      ],
      Version: serverVersion,
      GitCommit: '',
      BuildTime: '',
      Experimental: false,
      ...details,
    });
  });

  router.add('GET', '/info', async ({ res }) => {
    const c = await src.counts();
    const cgroupV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
    sendJson(res, 200, {
      ID: `tscompose:${os.hostname()}`,
      Containers: c.containers,
      ContainersRunning: c.running,
      ContainersPaused: c.paused,
      ContainersStopped: c.stopped,
      Images: c.images,
      Driver: 'overlay2',
      DriverStatus: [],
      DockerRootDir: src.root,
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
      MemoryLimit: true,
      SwapLimit: true,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      PidsLimit: true,
      IPv4Forwarding: true,
      Debug: false,
      NFd: 0,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: 'json-file',
      CgroupDriver: 'cgroupfs',
      CgroupVersion: cgroupV2 ? '2' : '1',
      NEventsListener: events.listenerCount('event'),
      KernelVersion: os.release(),
      OperatingSystem: 'tscompose bundled engine',
      OSVersion: '',
      OSType: 'linux',
      Architecture: ARCH[os.arch()] ?? os.arch(),
      NCPU: os.cpus().length,
      MemTotal: os.totalmem(),
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: {
        AllowNondistributableArtifactsCIDRs: [],
        AllowNondistributableArtifactsHostnames: [],
        InsecureRegistryCIDRs: ['127.0.0.0/8'],
        IndexConfigs: {},
        Mirrors: [],
      },
      GenericResources: null,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: os.hostname(),
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: `24.0.0+tscompose.${src.packageVersion}`,
      Runtimes: { runc: { path: src.runtimeBinary } },
      DefaultRuntime: 'runc',
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: 'docker-init',
      SecurityOptions: ['name=seccomp,profile=default'],
      Warnings: [],
    });
  });

  router.add('GET', '/events', ({ req, res, query }) => {
    const filters = parseFilters(query);
    const since = query.get('since');
    const until = query.get('until');
    const untilSec = until ? Number(until) : undefined;
    const matches = (e: Required<EngineEvent>) => eventMatches(e, filters, src.containerName);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    const write = (e: Required<EngineEvent>) => {
      if (untilSec !== undefined && e.time > untilSec) return;
      if (matches(e)) res.write(JSON.stringify(dockerEventShape(e)) + '\n');
    };
    if (since) for (const e of events.since(Number(since))) write(e);
    if (untilSec !== undefined && untilSec <= Date.now() / 1000) {
      res.end();
      return;
    }
    events.on('event', write);
    const stop = () => {
      events.off('event', write);
      res.end();
    };
    req.on('close', () => events.off('event', write));
    if (untilSec !== undefined) setTimeout(stop, untilSec * 1000 - Date.now()).unref();
  });
}

/** The legacy top-level fields (status, id, from) next to Type/Action/Actor, as Docker sends them. */
function dockerEventShape(e: Required<EngineEvent>): Record<string, unknown> {
  const legacy = e.Type === 'container' ? { status: e.Action, id: e.Actor.ID, from: e.Actor.Attributes.image } : {};
  return { ...legacy, Type: e.Type, Action: e.Action, Actor: e.Actor, scope: e.scope, time: e.time, timeNano: e.timeNano };
}

export function eventMatches(
  e: Required<EngineEvent>,
  filters: Record<string, string[]>,
  nameOf: (id: string) => string | undefined,
): boolean {
  const attrs = e.Actor.Attributes;
  for (const [key, values] of Object.entries(filters)) {
    if (!values.length) continue;
    const ok = values.some((v) => {
      switch (key) {
        case 'type':
          return e.Type === v;
        case 'event':
        case 'action':
          return e.Action === v || e.Action.startsWith(`${v}:`);
        case 'container':
          return e.Type === 'container' && (e.Actor.ID.startsWith(v) || attrs.name === v || nameOf(e.Actor.ID) === v);
        case 'image':
          return attrs.image === v || e.Actor.ID === v;
        case 'network':
          return e.Type === 'network' && (e.Actor.ID.startsWith(v) || attrs.name === v);
        case 'volume':
          return e.Type === 'volume' && (e.Actor.ID === v || attrs.name === v);
        case 'label': {
          const eq = v.indexOf('=');
          return eq < 0 ? v in attrs : attrs[v.slice(0, eq)] === v.slice(eq + 1);
        }
        default:
          return true;
      }
    });
    if (!ok) return false;
  }
  return true;
}
