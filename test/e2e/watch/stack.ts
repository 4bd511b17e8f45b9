// A throwaway stack for the watch tests and benchmark: busybox httpd services built from a temp context,
// brought up with the reconciler against the real Docker Engine, removed (with images) afterwards.
import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Project, Service, WatchRule } from '../../../src/model/types.js';
import { downProject, silentProgress, upServices } from '../../../src/reconcile/index.js';
import { findServiceContainers } from '../../../src/watch/containers.js';
import type { EngineClient } from '../../../src/client/engine-client.js';
import { dockerEngineClient } from '../../../src/client/docker-engine-client.js';
import { busyboxContext } from '../../helpers/busybox-image.js';

export const HTTPD_DOCKERFILE = [
  'RUN ["/bin/mkdir", "-p", "/www", "/conf"]',
  'COPY www /www',
  'CMD ["httpd", "-f", "-p", "80", "-h", "/www"]',
];

export function rule(partial: Partial<WatchRule> & Pick<WatchRule, 'action' | 'path'>): WatchRule {
  return { ignore: [], include: [], initialSync: false, ...partial };
}

export function httpdService(name: string, context: string, watch: WatchRule[]): Service {
  return {
    name,
    build: {
      context,
      dockerfile: 'Dockerfile',
      args: {},
      labels: { 'tscompose.test.service': name }, // a distinct image per service
      cacheFrom: [],
      extraHosts: [],
      tags: [],
      platforms: [],
    },
    environment: {},
    envFiles: [],
    ports: [],
    expose: [],
    volumes: [],
    tmpfs: [],
    networks: { default: null },
    dependsOn: {},
    links: [],
    volumesFrom: [],
    labels: {},
    annotations: {},
    capAdd: [],
    capDrop: [],
    securityOpt: [],
    ulimits: {},
    sysctls: {},
    extraHosts: [],
    dns: [],
    dnsSearch: [],
    dnsOpt: [],
    secrets: [],
    configs: [],
    profiles: [],
    extensions: {},
    stopSignal: 'SIGKILL',
    develop: { watch },
  };
}

export interface TestStack {
  dir: string;
  project: Project;
  docker: Docker;
  engine: EngineClient;
  engineKey: string;
  up(services?: string[]): Promise<void>;
  /** GET http://<container ip>/<file> of the service's first running container: status and body */
  get(service: string, file: string): Promise<{ status: number; body: string }>;
  containerIp(service: string): Promise<string | undefined>;
  remove(): Promise<void>;
}

export function newStack(
  prefix: string,
  makeServices: (context: string) => Service[],
  engine?: { docker: Docker; engineKey: string },
): TestStack {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  const dir = busyboxContext(HTTPD_DOCKERFILE);
  mkdirSync(path.join(dir, 'www'));
  writeFileSync(path.join(dir, 'www', 'index.html'), 'v1\n');
  const services = Object.fromEntries(makeServices(dir).map((s) => [s.name, s]));
  const project: Project = {
    name,
    workingDir: dir,
    configFiles: [],
    services,
    networks: {
      default: {
        key: 'default',
        name: `${name}_default`,
        driverOpts: {},
        external: false,
        internal: false,
        attachable: false,
        enableIpv6: false,
        labels: {},
      },
    },
    volumes: {},
    secrets: {},
    configs: {},
    disabledServices: {},
    extensions: {},
    environment: {},
  };
  const docker = engine?.docker ?? new Docker({ socketPath: '/var/run/docker.sock' });
  const engineKey = engine?.engineKey ?? 'docker:/var/run/docker.sock';
  const client = dockerEngineClient(docker);
  const ctx = { engine: client, engineKey, project, progress: silentProgress };
  const ips = new Map<string, { id: string; ip: string }>();

  const containerIp = async (service: string) => {
    const running = (await findServiceContainers(client, name, service)).filter((c) => c.running);
    const first = running[0];
    if (!first) return undefined;
    const cached = ips.get(service);
    if (cached?.id === first.id) return cached.ip;
    const info = await docker.getContainer(first.id).inspect();
    const ip = Object.values(info.NetworkSettings.Networks)[0]?.IPAddress;
    if (ip) ips.set(service, { id: first.id, ip });
    return ip || undefined;
  };

  return {
    dir,
    project,
    docker,
    engine: client,
    engineKey,
    containerIp,
    async up(only) {
      await upServices(ctx, only, {});
    },
    async get(service, file) {
      const ip = await containerIp(service);
      if (!ip) return { status: 0, body: '' };
      try {
        const res = await fetch(`http://${ip}/${file}`, { signal: AbortSignal.timeout(2000) });
        return { status: res.status, body: await res.text() };
      } catch {
        ips.delete(service); // a restarted container may have a new address
        return { status: 0, body: '' };
      }
    },
    async remove() {
      await downProject(ctx, { volumes: true, removeOrphans: true }).catch(() => undefined);
      for (const s of Object.keys(services))
        await docker
          .getImage(`${name}-${s}`)
          .remove({ force: true })
          .catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns true; fails with `what` after the timeout. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15000, everyMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}
