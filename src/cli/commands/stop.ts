// `stop`: Stop services
import type { Command } from 'commander';
import { lifecycleCommand, timeoutSeconds } from '../lifecycle-command.js';

export function register(program: Command): void {
  lifecycleCommand(program, 'stop', 'Stop services', (flags) => ({ timeout: timeoutSeconds(flags) })).option(
    '-t, --timeout <seconds>',
    'Specify a shutdown timeout in seconds',
  );
}
