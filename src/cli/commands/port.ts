// `port`: the public address a service's private port is published on.
import type { Command } from 'commander';
import { commandContext } from '../context.js';
import { serviceContainer } from '../output/target-container.js';
import { UserError } from '../../errors.js';

export function register(program: Command): void {
  program
    .command('port')
    .description('Print the public port for a port binding')
    .argument('<service>', 'Service')
    .argument('<private_port>', 'Container port')
    .option('--protocol <proto>', 'tcp or udp', 'tcp')
    .option('--index <n>', 'Index of the container if service has multiple replicas')
    .action(async (service: string, privatePort: string, flags: { protocol: string; index?: string }, command: Command) => {
      const ctx = await commandContext(command, { projectOptional: true });
      const c = await serviceContainer(ctx, service, flags.index ? Number(flags.index) : undefined);
      const info = await ctx.engine.inspectContainer(c.id);
      const bindings = info.NetworkSettings.Ports?.[`${privatePort}/${flags.protocol}`];
      if (!bindings?.length) throw new UserError(`no port ${privatePort}/${flags.protocol} published for service "${service}"`);
      console.log(`${bindings[0].HostIp || '0.0.0.0'}:${bindings[0].HostPort}`);
    });
}
