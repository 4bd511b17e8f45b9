// The API's only doorway to the core the CLI uses: the model loader, the engine connection and
// the reconciler's up/down. Everything else in src/api works on what these return.
import type Docker from 'dockerode';
import { connectEngine } from '../client/connect.js';
import type { EngineClient } from '../client/engine-client.js';
import { UserError } from '../errors.js';
import type { LoadOptions, Project } from '../model/types.js';
import { downProject, silentProgress, upServices } from '../reconcile/index.js';

/** "swarm": the swarm manager at DOCKER_HOST (up deploys the stack, down removes it, tasks() lists replicas) */
export type EngineChoice = 'bundled' | 'docker' | 'swarm';

export interface CoreContext {
  engine: EngineClient;
  engineKey: string;
  project: Project;
}

type LoadProject = (opts: LoadOptions) => Project | Promise<Project>;

// A computed specifier, as in src/cli/context.ts, so the API compiles while the model's loader lands.
const MODEL_MODULE = '../model/index.js';

export async function loadComposeProject(opts: LoadOptions): Promise<Project> {
  let mod: { loadProject?: LoadProject };
  try {
    mod = (await import(MODEL_MODULE)) as { loadProject?: LoadProject };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && /model[/\\]index\./.test((err as Error).message))
      throw new UserError('the stack file loader is not available in this build');
    throw err;
  }
  if (!mod.loadProject) throw new UserError('the stack file loader is not available in this build');
  return await mod.loadProject(opts);
}

export async function connect(engine?: EngineChoice): Promise<{ engine: EngineClient; docker: Docker; key: string; kind: EngineChoice }> {
  const conn = await connectEngine({ engine });
  return {
    engine: conn.engine,
    docker: await conn.docker(),
    kind: conn.kind,
    key: `${conn.kind}:${conn.socketPath ?? process.env.DOCKER_HOST ?? '/var/run/docker.sock'}`,
  };
}

export interface StartOptions {
  services?: string[];
  build?: boolean;
  pull?: 'always' | 'missing' | 'never';
  scale?: Record<string, number>;
  /** ms the reconciler may wait for depends_on conditions */
  timeout?: number;
}

export async function startProject(ctx: CoreContext, opts: StartOptions): Promise<void> {
  await upServices({ ...ctx, progress: silentProgress }, opts.services?.length ? opts.services : undefined, {
    services: opts.services?.length ? opts.services : undefined,
    build: opts.build,
    pull: opts.pull ?? 'policy',
    scale: opts.scale,
    waitTimeoutSeconds: opts.timeout !== undefined ? Math.max(1, Math.ceil(opts.timeout / 1000)) : undefined,
  });
}

export async function removeProject(
  ctx: CoreContext,
  opts: { volumes: boolean; images?: 'local' | 'all'; timeout?: number },
): Promise<void> {
  await downProject(
    { ...ctx, progress: silentProgress },
    { volumes: opts.volumes, rmi: opts.images, timeout: opts.timeout, removeOrphans: true },
  );
}
