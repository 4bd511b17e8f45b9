#!/usr/bin/env node
import { buildProgram, CommanderError } from './program.js';
import { reportError } from './report-error.js';

try {
  const program = (await buildProgram()).exitOverride();
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.exit(reportError(err));
}
