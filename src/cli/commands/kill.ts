// `kill`: Force stop service containers
import type { Command } from 'commander';
import { lifecycleCommand } from '../lifecycle-command.js';

export function register(program: Command): void {
  lifecycleCommand(program, 'kill', 'Force stop service containers', (flags) => ({ signal: String(flags.signal) }))
    .option('-s, --signal <signal>', 'SIGNAL to send to the container', 'SIGKILL')
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file');
}
