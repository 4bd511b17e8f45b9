// Every CLI command, one module each. A module exports `register(program)`.
import type { Command } from 'commander';
import * as version from './version.js';

const commands: { register(program: Command): void }[] = [
  version,
];

export function registerCommands(program: Command): void {
  for (const c of commands) c.register(program);
}
