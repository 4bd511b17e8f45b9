import { Command, CommanderError } from 'commander';
import { addGlobalOptions, type GlobalOptions } from './global-options.js';
import { registerCommands } from './commands/index.js';
import { packageVersion } from './commands/version.js';

export function buildProgram(): Command {
  const program = new Command('tscompose')
    .description('Define and run multi-container applications, with or without Docker')
    .version(packageVersion(), '-v, --version')
    .showHelpAfterError()
    .enablePositionalOptions(false);
  addGlobalOptions(program);
  registerCommands(program);
  return program;
}

/** The global flags of the root program, from inside any sub-command's action. */
export function globalOptions(command: Command): GlobalOptions {
  let root = command;
  while (root.parent) root = root.parent;
  return root.opts<GlobalOptions>();
}

export { CommanderError };
