// Which command a command line names, before commander parses it: the CLI registers only that command's
// module, and its launcher keeps compiled code per command.

/** Global flags that take a value, so the word after them is not the command name. */
const GLOBAL_FLAGS_WITH_VALUE = new Set([
  '-f',
  '--file',
  '-p',
  '--project-name',
  '--project-directory',
  '--profile',
  '--env-file',
  '--engine',
  '--ansi',
  '--progress',
]);

/** The command word in argv (without node and script), or undefined when there is none. */
export function invokedCommand(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return undefined;
    if (!arg.startsWith('-')) return arg;
    if (GLOBAL_FLAGS_WITH_VALUE.has(arg)) i++;
  }
  return undefined;
}
