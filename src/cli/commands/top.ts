// `top`: the processes running in each service container.
import type { Command } from 'commander';
import { commandContext } from '../context.js';
import { projectContainers } from '../../reconcile/index.js';
import { formatTable } from '../output/table.js';

export function register(program: Command): void {
  program
    .command('top')
    .description('Display the running processes')
    .argument('[services...]', 'Services')
    .action(async (services: string[], _flags: unknown, command: Command) => {
      const ctx = await commandContext(command, { projectOptional: true });
      const containers = (await projectContainers(ctx, services)).filter((c) => c.state === 'running');
      const tops = await Promise.all(containers.map((c) => ctx.engine.topContainer(c.id)));
      containers.forEach((c, i) => {
        console.log(c.name);
        console.log(formatTable(tops[i].Titles, tops[i].Processes));
        console.log('');
      });
    });
}
