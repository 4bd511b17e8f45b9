// A compose project brought up for a test run: load → up() → container handles → down().
import type Docker from 'dockerode';
import type { EngineClient } from '../client/engine-client.js';
import { dockerEngineClient } from '../client/docker-engine-client.js';
import { isOneoff, LABEL, projectFilter } from '../labels.js';
import './polyfill.js';
import { UserError } from '../errors.js';
import type { Project } from '../model/types.js';
import { ServiceContainer } from './container.js';
import { registerForCleanup, unregisterForCleanup } from './cleanup-on-exit.js';
import { connect, loadComposeProject, removeProject, startProject, type EngineChoice } from './core.js';
import type { SwarmTaskInfo } from './swarm.js';

/** The swarm side, loaded only for engine: 'swarm'. */
const swarm = () => import('./swarm.js');
import { uniqueProjectName } from './project-name.js';
import { serviceImage } from '../reconcile/names.js';
import { runningOrHealthy, Wait, waitUntilReady, type WaitStrategy } from './wait.js';

export interface EnvironmentOptions {
  /** compose files, merged in order (default: compose.yaml etc. discovered in `cwd`) */
  files?: string[];
  /** the project name; when given, it is used as is (no random suffix) */
  projectName?: string;
  /** add a random suffix to the project name so parallel runs never collide (default: true unless projectName is given) */
  uniqueName?: boolean;
  /** variables for interpolation, layered over process.env */
  env?: Record<string, string | undefined>;
  /** .env-style files used for interpolation (--env-file) */
  envFiles?: string[];
  profiles?: string[];
  /** directory used to find compose files and resolve relative paths (default: process.cwd()) */
  cwd?: string;
  projectDirectory?: string;
  /** "bundled" (default), "docker" (default when DOCKER_HOST is set) or "swarm" (the swarm manager at
   *  DOCKER_HOST: up() deploys the stack, down() removes it, tasks() lists the replicas); same rules as
   *  the CLI's --engine */
  engine?: EngineChoice;
}

export interface UpOptions {
  /** only these services (and what they depend on) */
  services?: string[];
  /** build images even when they exist (like `up --build`) */
  build?: boolean;
  /** pull policy: "missing" (default: as each service's pull_policy says), "always" or "never" */
  pull?: 'always' | 'missing' | 'never';
  /** replicas per service, overriding the file */
  scale?: Record<string, number>;
  /** true (default): wait until every started replica is healthy (services with a healthcheck) or running;
   *  false: don't wait; an object: a strategy per service, the default for the others */
  wait?: boolean | Record<string, WaitStrategy>;
  /** how long up() may wait for readiness, in ms (default 60000); a strategy's withTimeout() overrides it */
  timeout?: number;
}

export interface DownOptions {
  /** remove named volumes too (default: true for projects with a generated unique name) */
  volumes?: boolean;
  /** remove images: "local" = the ones built for services without an `image:` name (default for projects
   *  with a generated unique name, whose image names are unique too), "all" = every image the services use */
  images?: 'local' | 'all' | false;
  /** seconds to let containers stop before they are killed (default: each service's stop_grace_period or 10) */
  timeout?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** Loads a compose project for a test run. Nothing runs until up(). */
export async function loadEnvironment(opts: EnvironmentOptions = {}): Promise<ComposeEnvironment> {
  const unique = opts.uniqueName ?? opts.projectName === undefined;
  const environment = { ...process.env, ...opts.env };
  const loadOpts = {
    files: opts.files,
    profiles: opts.profiles,
    envFiles: opts.envFiles,
    cwd: opts.cwd,
    projectDirectory: opts.projectDirectory,
    environment,
  };
  let project = await loadComposeProject({ ...loadOpts, projectName: opts.projectName });
  if (unique) project = await loadComposeProject({ ...loadOpts, projectName: uniqueProjectName(project.name) });
  const engine = await connect(opts.engine);
  return new ComposeEnvironment(project, engine.docker, engine.key, unique, engine.engine, engine.kind);
}

export class ComposeEnvironment implements AsyncDisposable {
  private containersByService = new Map<string, ServiceContainer[]>();
  private registered = false;

  constructor(
    /** the loaded, normalized project */
    readonly project: Project,
    /** the engine client, for anything the API does not cover */
    readonly docker: Docker,
    private readonly engineKey: string,
    /** whether the project name was generated for this run */
    readonly uniqueName: boolean,
    /** what the API itself talks to the engine through */
    private readonly engine: EngineClient = dockerEngineClient(docker),
    private readonly engineKind: EngineChoice = 'bundled',
  ) {}

  private get onSwarm(): boolean {
    return this.engineKind === 'swarm';
  }

  get name(): string {
    return this.project.name;
  }

  /** Creates and starts the services, then waits until they are ready. */
  async up(opts: UpOptions = {}): Promise<this> {
    for (const s of [
      ...(opts.services ?? []),
      ...Object.keys(typeof opts.wait === 'object' ? opts.wait : {}),
      ...Object.keys(opts.scale ?? {}),
    ])
      this.assertService(s);
    if (this.onSwarm) {
      if (typeof opts.wait === 'object')
        throw new UserError(
          'up({ wait: { … } }): per-service wait strategies need container handles, which a swarm does not give; wait: true waits until every task runs (healthy where it has a healthcheck)',
        );
      this.registered = true; // down() at dispose; no exit reaper: a stack outlives the process unless removed
      await (
        await swarm()
      ).deployToSwarm(this.docker, this.project, {
        services: opts.services,
        build: opts.build,
        scale: opts.scale,
        wait: opts.wait !== false,
        timeoutMs: opts.timeout ?? DEFAULT_TIMEOUT_MS,
      });
      return this;
    }
    this.registerCleanup();
    await startProject(
      { engine: this.engine, engineKey: this.engineKey, project: this.project },
      { ...opts, timeout: opts.timeout ?? DEFAULT_TIMEOUT_MS },
    );
    await this.refresh();
    if (opts.wait !== false) await this.waitForReadiness(opts);
    return this;
  }

  /** Stops and removes the project's containers and networks (and volumes when asked). */
  async down(opts: DownOptions = {}): Promise<void> {
    if (this.onSwarm) {
      await (await swarm()).removeFromSwarm(this.docker, this.name, { volumes: opts.volumes ?? this.uniqueName });
      this.registered = false;
      return;
    }
    await removeProject(
      { engine: this.engine, engineKey: this.engineKey, project: this.project },
      {
        volumes: opts.volumes ?? this.uniqueName,
        images: opts.images === false ? undefined : (opts.images ?? (this.uniqueName ? 'local' : undefined)),
        timeout: opts.timeout,
      },
    );
    this.containersByService.clear();
    unregisterForCleanup(this.cleanupEngine(), this.name);
    this.registered = false;
  }

  /** `await using env = …` calls down() when the scope ends, also when a test fails. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.registered) await this.down();
  }

  /** The handle of replica `index` (1-based, like container-number) of a service, as of the last up()/refresh(). */
  container(service: string, index = 1): ServiceContainer {
    this.assertService(service);
    this.refuseOnSwarm('container()');
    const replicas = this.containersByService.get(service) ?? [];
    const found = replicas.find((c) => c.index === index);
    if (!found) {
      const have = replicas.map((c) => c.index).join(', ');
      throw new UserError(
        `service "${service}" has no replica ${index} in project "${this.name}"${have ? ` (replicas: ${have})` : ': it is not running; call up() first'}`,
      );
    }
    return found;
  }

  /** Every replica of a service, or of all services, in service and replica order. */
  containers(service?: string): ServiceContainer[] {
    this.refuseOnSwarm('containers()');
    if (service !== undefined) {
      this.assertService(service);
      return [...(this.containersByService.get(service) ?? [])];
    }
    return [...this.containersByService.values()].flat();
  }

  /** On a swarm: the stack's tasks (replicas), with their node and state, as `ps` shows them. */
  async tasks(service?: string): Promise<SwarmTaskInfo[]> {
    if (!this.onSwarm)
      throw new UserError('tasks() lists the replicas of a stack on a swarm (engine: "swarm"); on one machine use containers()');
    if (service !== undefined) this.assertService(service);
    return (await swarm()).swarmTasks(this.docker, this.name, service);
  }

  private refuseOnSwarm(what: string): void {
    if (this.onSwarm)
      throw new UserError(`${what}: on a swarm the replicas are tasks on other nodes, with no container handle here; use tasks()`);
  }

  /** Re-reads the project's containers from the engine (after scaling or restarts done behind the API's back). */
  async refresh(): Promise<void> {
    if (this.onSwarm) return;
    const list = await this.engine.listContainers({ all: true, filters: projectFilter(this.name) });
    const byService = new Map<string, ServiceContainer[]>();
    for (const c of list) {
      const labels = c.Labels ?? {};
      if (isOneoff(labels)) continue;
      const service = labels[LABEL.service] ?? '';
      const handle = new ServiceContainer(
        this.engine,
        {
          id: c.Id,
          name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
          service,
          index: Number(labels[LABEL.number] ?? 1),
        },
        (key) => this.project.networks[key]?.name ?? `${this.name}_${key}`,
      );
      byService.set(service, [...(byService.get(service) ?? []), handle]);
    }
    for (const list of byService.values()) list.sort((a, b) => a.index - b.index);
    this.containersByService = byService;
  }

  private async waitForReadiness(opts: UpOptions): Promise<void> {
    const timeout = opts.timeout ?? DEFAULT_TIMEOUT_MS;
    const chosen = typeof opts.wait === 'object' ? opts.wait : {};
    const selected = opts.services ? new Set(this.withDependencies(opts.services)) : undefined;
    await Promise.all(
      this.containers()
        .filter((c) => !selected || selected.has(c.service))
        .map((c) => {
          return waitUntilReady(c, chosen[c.service] ?? this.defaultStrategy(c.service), timeout);
        }),
    );
  }

  /** Like `up --wait`: healthy when the service has a healthcheck, exited 0 for one-shot jobs others
   *  wait for (service_completed_successfully), running (and healthy if the image has a healthcheck) otherwise. */
  private defaultStrategy(name: string): WaitStrategy {
    const service = this.project.services[name];
    const oneShot = Object.values(this.project.services).some((s) => s.dependsOn[name]?.condition === 'service_completed_successfully');
    if (oneShot) return Wait.forSuccessfulExit();
    const hc = service?.healthcheck;
    if (hc && !hc.disable && hc.test?.[0] !== 'NONE') return Wait.forHealthy();
    return runningOrHealthy();
  }

  private withDependencies(services: string[]): string[] {
    const seen = new Set<string>();
    const visit = (s: string) => {
      if (seen.has(s) || !this.project.services[s]) return;
      seen.add(s);
      for (const dep of Object.keys(this.project.services[s].dependsOn)) visit(dep);
    };
    services.forEach(visit);
    return [...seen];
  }

  private assertService(service: string): void {
    if (this.project.services[service]) return;
    const disabled = this.project.disabledServices[service]
      ? ` (it is disabled by its profiles: ${this.project.disabledServices[service].profiles.join(', ')})`
      : '';
    throw new UserError(
      `project "${this.name}" has no service "${service}"${disabled}; services: ${Object.keys(this.project.services).join(', ') || 'none'}`,
    );
  }

  private cleanupEngine() {
    const modem = (
      this.docker as unknown as {
        modem: { socketPath?: string; host?: string; port?: number | string; protocol?: 'http' | 'https' | 'ssh' };
      }
    ).modem;
    return { socketPath: modem.socketPath, host: modem.host, port: modem.port, protocol: modem.protocol };
  }

  private registerCleanup(): void {
    // a generated name makes the images built for services without `image:` this run's own
    const ownImages = this.uniqueName
      ? Object.values(this.project.services)
          .filter((s) => !s.image && s.build)
          .map((s) => serviceImage(this.name, s))
      : [];
    registerForCleanup(this.cleanupEngine(), this.name, this.uniqueName, ownImages);
    this.registered = true;
  }
}
