// Getting the images a stack needs: pull (per pull_policy) and build (`build:`), before any container.
import type { EngineClient } from '../client/engine-client.js';
import type { Project, Service } from '../model/types.js';
import { UserError } from '../errors.js';
import { engineMessage } from './engine-errors.js';
import { buildSessionPayload, openBuildSession } from './build-secrets.js';
import { serviceImage } from './names.js';
import type { ProgressReporter } from './progress.js';
import { refuseUnsupportedBuildKeys } from './unsupported-build.js';

export interface ImageOptions {
  build?: boolean; // --build: build even when the image exists
  noBuild?: boolean;
  pull?: 'always' | 'missing' | 'never' | 'policy';
  quiet?: boolean;
}

/** The id of the image `ref` names, or undefined when the engine has none. */
async function imageId(engine: EngineClient, ref: string): Promise<string | undefined> {
  try {
    return (await engine.inspectImage(ref)).Id;
  } catch {
    return undefined;
  }
}

/** What ensureImages found: the ids of the images that were there and left as they were, and whether it
 *  built or pulled any (whose ids are then to be read again). */
export interface EnsuredImages {
  present: Record<string, string>;
  changed: boolean;
}

export async function buildService(engine: EngineClient, project: Project, service: Service, progress: ProgressReporter): Promise<void> {
  refuseUnsupportedBuildKeys(service);
  const build = service.build!;
  const tag = serviceImage(project.name, service);
  const dockerfile = build.dockerfileInline !== undefined ? '.tscompose.Dockerfile' : build.dockerfile;
  progress.update('Image', tag, 'Building');
  const args = Object.fromEntries(Object.entries(build.args).filter(([, v]) => v !== null)) as Record<string, string>;
  try {
    const payload = buildSessionPayload(project, service, build);
    const session = payload && (await openBuildSession(engine, service, payload));
    const show = (text: string) => (progress.detail ? progress.detail(text) : progress.note(text));
    // tar-stream (and streamx under it) is loaded by the commands that build, not by every up
    const { contextTar } = await import('./build-context.js');
    await engine.buildImage(
      contextTar(build.context, dockerfile, build.dockerfileInline) as unknown as NodeJS.ReadableStream,
      {
        tags: [tag, ...build.tags],
        dockerfile,
        buildArgs: args,
        target: build.target,
        labels: build.labels,
        noCache: build.noCache,
        pull: build.pull,
        networkMode: build.network,
        shmSize: build.shmSize,
        extraHosts: build.extraHosts.map((h) => h.replace('=', ':')),
        session,
      },
      (line) => show(`${service.name}  ${line}`),
    );
  } catch (err) {
    progress.fail('Image', tag, (err as Error).message);
    throw new UserError(`service "${service.name}" failed to build: ${(err as Error).message.trim()}`);
  }
  progress.update('Image', tag, 'Built', true);
}

export async function pullImage(engine: EngineClient, serviceName: string, ref: string, progress: ProgressReporter): Promise<void> {
  progress.update('Image', ref, 'Pulling');
  try {
    await engine.pullImage(ref, () => {});
  } catch (err) {
    progress.fail('Image', ref, (err as Error).message);
    throw new UserError(`service "${serviceName}": image ${ref} cannot be pulled: ${engineMessage(err)}`);
  }
  progress.update('Image', ref, 'Pulled', true);
}

/** What to do for one service's image: nothing, pull or build. */
export function imageAction(service: Service, exists: boolean, opts: ImageOptions): 'none' | 'pull' | 'build' | 'missing' {
  const policy = opts.pull && opts.pull !== 'policy' ? opts.pull : (service.pullPolicy ?? 'missing');
  const canBuild = !!service.build && !opts.noBuild;
  if (canBuild && (opts.build || policy === 'build')) return 'build';
  if (policy === 'always' && service.image) return 'pull';
  if (exists) return 'none';
  if (canBuild) return 'build';
  if (policy === 'never' || !service.image) return 'missing';
  return 'pull';
}

export async function ensureImages(
  engine: EngineClient,
  project: Project,
  services: string[],
  opts: ImageOptions,
  progress: ProgressReporter,
): Promise<EnsuredImages> {
  const seen: EnsuredImages = { present: {}, changed: false };
  const byRef = new Map<string, Service>();
  for (const name of services) {
    const s = project.services[name];
    const ref = serviceImage(project.name, s);
    if (!byRef.has(ref) || s.build) byRef.set(ref, s); // one build/pull per image
  }
  // identical build configs run one after another: the second is all cache hits, and engines
  // need not cope with two builds racing over the same cache entries
  const groups = new Map<string, [string, Service][]>();
  for (const [ref, s] of byRef) {
    const key = s.build ? JSON.stringify(s.build) : ref;
    groups.set(key, [...(groups.get(key) ?? []), [ref, s]]);
  }
  // build.additional_contexts "service:x" needs x's image first: such a build waits for x's group
  const contextServices = (s: Service) =>
    Object.values(s.build?.additionalContexts ?? {})
      .filter((v) => v.startsWith('service:'))
      .map((v) => v.slice('service:'.length));
  const visiting = new Set<string>();
  const visit = (name: string, trail: string[]): void => {
    if (trail.includes(name))
      throw new UserError(`build.additional_contexts form a cycle: ${[...trail.slice(trail.indexOf(name)), name].join(' -> ')}`);
    if (visiting.has(name)) return;
    visiting.add(name);
    const s = project.services[name];
    if (s) for (const n of contextServices(s)) visit(n, [...trail, name]);
  };
  for (const [, s] of byRef) visit(s.name, []);
  const groupOf = new Map<string, Promise<void>>();
  const finish = new Map<[string, Service][], () => void>();
  for (const group of groups.values()) {
    const p = new Promise<void>((resolve) => finish.set(group, resolve));
    for (const [, s] of group) groupOf.set(s.name, p);
  }
  await Promise.all(
    [...groups.values()].map(async (group) => {
      try {
        await buildGroup(group);
      } finally {
        finish.get(group)!();
      }
    }),
  );
  return seen;
  async function buildGroup(group: [string, Service][]): Promise<void> {
    for (const [ref, s] of group) {
      const needs = contextServices(s);
      await Promise.all(needs.filter((n) => groupOf.get(n) && !group.some(([, g]) => g.name === n)).map((n) => groupOf.get(n)));
      const id = await imageId(engine, ref);
      const action = imageAction(s, id !== undefined, opts);
      if (action === 'none') seen.present[ref] = id!;
      else seen.changed = true;
      if (action === 'build') await buildService(engine, project, s, progress);
      else if (action === 'pull') await pullImage(engine, s.name, ref, progress);
      else if (action === 'missing')
        throw new UserError(
          `service "${s.name}": image ${ref} is not present and pull_policy forbids pulling it${s.build ? ' (and building was disabled with --no-build)' : ''}`,
        );
    }
  }
}
