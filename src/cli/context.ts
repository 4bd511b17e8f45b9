// What a command needs: the loaded project, a connection to the engine and a progress renderer.
import type { Command } from 'commander';
import type { Project } from '../model/types.js';
import { loadCommandProject } from './load-project.js';
import { connectEngine, pingChosenEngine } from '../client/connect.js';
import { globalOptions } from './program.js';
import { toLoadOptions, type GlobalOptions } from './global-options.js';
import { createProgress } from './output/progress.js';
import type { ReconcileContext } from '../reconcile/context.js';

export interface CommandContext extends ReconcileContext {
  global: GlobalOptions;
  engineKind: string;
}

export function engineKey(kind: string, socketPath?: string): string {
  return `${kind}:${socketPath ?? process.env.DOCKER_HOST ?? '/var/run/docker.sock'}`;
}

/** A project known only by name (-p without a stack file): enough for down, ps, logs, stop … */
export function projectByName(name: string): Project {
  return {
    name,
    workingDir: process.cwd(),
    configFiles: [],
    services: {},
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
    disabledServices: {},
    extensions: {},
    environment: {},
  };
}

/** Loads the project (with -f/-p/--profile…) and connects to the engine. With `projectOptional`,
 *  `-p name` alone is enough when no stack file is found, as with docker compose. */
export async function commandContext(command: Command, opts: { projectOptional?: boolean } = {}): Promise<CommandContext> {
  const global = globalOptions(command);
  // the engine is asked whether it is up while the project loads; it is started (when down) only once the
  // project has loaded
  const answered = pingChosenEngine(global.engine);
  let project: Project;
  try {
    project = await loadCommandProject(toLoadOptions(global));
  } catch (err) {
    const name = global.projectName ?? process.env.COMPOSE_PROJECT_NAME;
    if (!opts.projectOptional || !name || global.file?.length) throw err;
    project = projectByName(name);
  }
  const conn = await connectEngine({ engine: global.engine, bundledAnswered: await answered });
  return {
    global,
    project,
    engine: conn.engine,
    engineKind: conn.kind,
    engineKey: engineKey(conn.kind, conn.socketPath),
    progress: createProgress(global),
  };
}

/** For commands that work without a stack file (ls), or only need the project name (-p). */
export async function engineOnlyContext(command: Command) {
  const global = globalOptions(command);
  const conn = await connectEngine({ engine: global.engine });
  return { global, engine: conn.engine, engineKind: conn.kind, engineKey: engineKey(conn.kind, conn.socketPath) };
}
