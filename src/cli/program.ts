import { Command, CommanderError } from 'commander';
import { addGlobalOptions, mergeGlobalOptions, shareGlobalOptions, type GlobalOptions } from './global-options.js';
import { registerCommands } from './commands/index.js';
import { packageVersion } from './commands/version.js';

/** The program with the invoked command registered (every command when `args` names none). */
export async function buildProgram(args: string[] = process.argv.slice(2)): Promise<Command> {
  const program = new Command('tscompose')
    .description('Define and run multi-container applications, with or without Docker')
    .version(packageVersion(), '-v, --version')
    .showHelpAfterError()
    .enablePositionalOptions(); // so `down -v`, `run -p`, `exec svc sh -c` mean what they mean in docker compose
  addGlobalOptions(program);
  await registerCommands(program, args);
  shareGlobalOptions(program); // global flags still work after the command name
  return program;
}

/** The global flags of the root program, from inside any sub-command's action. */
export function globalOptions(command: Command): GlobalOptions {
  let root = command;
  while (root.parent) root = root.parent;
  return mergeGlobalOptions(root.opts<GlobalOptions>(), command === root ? {} : command.opts());
}

export { CommanderError };
