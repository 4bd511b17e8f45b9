// `restart`: Restart service containers
import type { Command } from 'commander';
import { lifecycleCommand, timeoutSeconds } from '../lifecycle-command.js';

export function register(program: Command): void {
  lifecycleCommand(program, 'restart', 'Restart service containers', (flags) => ({ timeout: timeoutSeconds(flags) }))
    .option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds')
    .option('--no-deps', "Don't restart dependent services");
}
