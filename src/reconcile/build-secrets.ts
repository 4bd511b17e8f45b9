// build.secrets, build.ssh and build.additional_contexts for an engine's build. The bundled engine takes them in a single-use session
// (POST /tscompose/build-secrets, then /build?tscsession=…): they never travel in the build context. Docker
// Engine's classic /build API has no way to receive them (docker compose uses a BuildKit session), so a
// build that needs them fails there with a clear error instead of building without them.
import { lstatSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BuildSessionPayload, EngineClient } from '../client/engine-client.js';
import { isNotFound } from '../client/errors.js';
import type { BuildConfig, Project, Service } from '../model/types.js';
import { UserError } from '../errors.js';
import { serviceImage } from './names.js';

export type { BuildSessionPayload };

/** The secrets (base64, by id) and agent sockets (by id) a service's build asks for. */
export function buildSessionPayload(
  project: Project,
  service: Service,
  build: BuildConfig,
  env: NodeJS.ProcessEnv = process.env,
): BuildSessionPayload | undefined {
  if (!build.secrets?.length && !build.ssh?.length && !Object.keys(build.additionalContexts ?? {}).length) return undefined;
  const secrets: Record<string, string> = {};
  for (const ref of build.secrets ?? []) {
    const def = project.secrets[ref.source];
    const id = ref.target || ref.source;
    if (!def) throw new UserError(`build secret ${ref.source} is not defined under the top-level secrets:`);
    let value: Buffer;
    if (def.file) {
      try {
        value = readFileSync(def.file);
      } catch (err) {
        throw new UserError(`build secret ${ref.source}: cannot read ${def.file}: ${(err as Error).message}`);
      }
    } else if (def.environment) {
      const v = project.environment[def.environment] ?? env[def.environment];
      if (v === undefined) throw new UserError(`build secret ${ref.source}: environment variable ${def.environment} is not set`);
      value = Buffer.from(v);
    } else if (def.content !== undefined) value = Buffer.from(def.content);
    else
      throw new UserError(`build secret ${ref.source} has no file, environment or content (an external secret cannot be used in a build)`);
    secrets[id] = value.toString('base64');
  }
  const ssh: Record<string, string> = {};
  for (const entry of build.ssh ?? []) {
    const eq = entry.indexOf('=');
    const id = eq < 0 ? entry : entry.slice(0, eq);
    const sock = eq < 0 ? env.SSH_AUTH_SOCK : entry.slice(eq + 1);
    if (!sock) throw new UserError(`build.ssh ${id}: no agent socket given and SSH_AUTH_SOCK is not set`);
    let isSocket = false;
    try {
      isSocket = lstatSync(sock).isSocket();
    } catch {
      /* missing */
    }
    if (!isSocket) throw new UserError(`build.ssh ${id}: ${sock} is not an SSH agent socket (key files are not supported; use ssh-agent)`);
    ssh[id] = sock;
  }
  const contexts: Record<string, string> = {};
  for (const [name, value] of Object.entries(build.additionalContexts ?? {})) {
    if (value.startsWith('docker-image://')) contexts[name] = value;
    else if (value.startsWith('service:')) {
      const other = project.services[value.slice('service:'.length)];
      if (!other) throw new UserError(`build.additional_contexts ${name}: no service ${value.slice('service:'.length)} in this project`);
      contexts[name] = `docker-image://${serviceImage(project.name, other)}`;
    } else if (path.isAbsolute(value)) {
      let isDir = false;
      try {
        isDir = statSync(value).isDirectory();
      } catch {
        /* missing */
      }
      if (!isDir) throw new UserError(`build.additional_contexts ${name}: ${value} is not a directory`);
      contexts[name] = value;
    } else
      throw new UserError(`build.additional_contexts ${name}: ${value} is not supported (a directory, docker-image://… or service:… is)`);
  }
  return { secrets, ssh, ...(Object.keys(contexts).length ? { contexts } : {}) };
}

/** Hands the payload to the engine; the token names it in the build request. */
export async function openBuildSession(engine: EngineClient, service: Service, payload: BuildSessionPayload): Promise<string> {
  try {
    return await engine.openBuildSession(payload);
  } catch (err) {
    if (isNotFound(err)) {
      throw new UserError(
        `it uses build.secrets, build.ssh or build.additional_contexts, which Docker Engine's classic build API cannot receive: ` +
          'build it on the bundled engine (drop --engine docker / DOCKER_HOST), or with docker compose (BuildKit)',
      );
    }
    throw new UserError(`handing the build secrets to the engine failed: ${(err as Error).message}`);
  }
}
