// `pause`: Pause services
import type { Command } from 'commander';
import { lifecycleCommand } from '../lifecycle-command.js';

export function register(program: Command): void {
  lifecycleCommand(program, 'pause', 'Pause services');
}
