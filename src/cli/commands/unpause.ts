// `unpause`: Unpause services
import type { Command } from 'commander';
import { lifecycleCommand } from '../lifecycle-command.js';

export function register(program: Command): void {
  lifecycleCommand(program, 'unpause', 'Unpause services');
}
