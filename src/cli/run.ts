// The CLI proper: parses the command line and runs the command, reporting errors as one paragraph.
// main.ts starts it (from its bundle, dist/cli/cli.cjs, when there is one).
import { buildProgram, CommanderError } from './program.js';
import { reportError } from './report-error.js';

export async function run(): Promise<void> {
  try {
    const program = (await buildProgram()).exitOverride();
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    process.exit(await reportError(err));
  }
}
