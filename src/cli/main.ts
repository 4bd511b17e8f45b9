#!/usr/bin/env node
import { buildProgram, CommanderError } from './program.js';
import { reportError } from './report-error.js';

const program = buildProgram().exitOverride();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.exit(reportError(err));
}
