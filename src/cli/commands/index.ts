// Every CLI command, one module each. A module exports `register(program)`.
// Only the invoked command's module is imported: the others pull in dockerode, the engine and the
// watcher, which would cost every command half a second of start-up.
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { invokedCommand } from '../invoked-command.js';

type CommandModule = { register(program: Command): void };

const commands: Record<string, () => Promise<CommandModule>> = {
  version: () => import('./version.js'),
  config: () => import('./config.js'),
  engine: () => import('./engine.js'),
  up: () => import('./up.js'),
  down: () => import('./down.js'),
  ps: () => import('./ps.js'),
  logs: () => import('./logs.js'),
  start: () => import('./start.js'),
  stop: () => import('./stop.js'),
  restart: () => import('./restart.js'),
  rm: () => import('./rm.js'),
  kill: () => import('./kill.js'),
  pause: () => import('./pause.js'),
  unpause: () => import('./unpause.js'),
  create: () => import('./create.js'),
  pull: () => import('./pull.js'),
  push: () => import('./push.js'),
  build: () => import('./build.js'),
  exec: () => import('./exec.js'),
  run: () => import('./run.js'),
  images: () => import('./images.js'),
  port: () => import('./port.js'),
  top: () => import('./top.js'),
  wait: () => import('./wait.js'),
  ls: () => import('./ls.js'),
  events: () => import('./events.js'),
  cp: () => import('./cp.js'),
  watch: () => import('./watch.js'),
};

/** Registers the invoked command, or every command when help or an unknown word is asked for. */
export async function registerCommands(program: Command, args: string[] = process.argv.slice(2)): Promise<void> {
  const name = invokedCommand(args);
  const names = name !== undefined && name in commands ? [name] : Object.keys(commands);
  const modules = await Promise.all(names.map((n) => commands[n]!()));
  for (const m of modules) m.register(program);
  program.hook('preAction', (_root, action) => refuseOffSwarm(action));
}

/** What --engine swarm implements (src/swarm/cli.ts); the other commands act on one machine's containers. */
const SWARM_COMMANDS = new Set(['version', 'config', 'up', 'down', 'ps', 'logs', 'ls', 'build', 'push', 'pull', 'images']);

function refuseOffSwarm(action: Command): void {
  let root = action;
  while (root.parent) root = root.parent;
  const engine = action.opts().engine ?? root.opts().engine ?? process.env.TSCOMPOSE_ENGINE;
  if (engine === 'swarm' && !SWARM_COMMANDS.has(action.name())) {
    throw new UserError(`"${action.name()}" is not available with --engine swarm (available: ${[...SWARM_COMMANDS].join(', ')})`);
  }
}
