// Every CLI command, one module each. A module exports `register(program)`.
import type { Command } from 'commander';
import * as version from './version.js';
import * as configCommand from './config.js';
import * as engine from './engine.js';
import * as upCommand from './up.js';
import * as downCommand from './down.js';
import * as psCommand from './ps.js';
import * as logsCommand from './logs.js';
import * as startCommand from './start.js';
import * as stopCommand from './stop.js';
import * as restartCommand from './restart.js';
import * as rmCommand from './rm.js';
import * as killCommand from './kill.js';
import * as pauseCommand from './pause.js';
import * as unpauseCommand from './unpause.js';
import * as createCommand from './create.js';
import * as pullCommand from './pull.js';
import * as buildCommand from './build.js';
import * as execCommand from './exec.js';
import * as runCommand from './run.js';
import * as imagesCommand from './images.js';
import * as portCommand from './port.js';
import * as topCommand from './top.js';
import * as waitCommand from './wait.js';
import * as lsCommand from './ls.js';
import * as eventsCommand from './events.js';
import * as cpCommand from './cp.js';
import * as watchCommand from './watch.js';

const commands: { register(program: Command): void }[] = [
  version,
  configCommand,
  engine,
  upCommand,
  downCommand,
  psCommand,
  logsCommand,
  startCommand,
  stopCommand,
  restartCommand,
  rmCommand,
  killCommand,
  pauseCommand,
  unpauseCommand,
  createCommand,
  pullCommand,
  buildCommand,
  execCommand,
  runCommand,
  imagesCommand,
  portCommand,
  topCommand,
  waitCommand,
  lsCommand,
  eventsCommand,
  cpCommand,
  watchCommand,
];

export function registerCommands(program: Command): void {
  for (const c of commands) c.register(program);
}
