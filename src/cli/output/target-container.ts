// Picking "the" container of a service for exec, port, cp: --index, default the first running one.
import type { CommandContext } from '../context.js';
import { projectContainers, type ObservedContainer } from '../../reconcile/index.js';
import { UserError } from '../../errors.js';

export async function serviceContainer(ctx: CommandContext, service: string, index?: number, running = true): Promise<ObservedContainer> {
  const list = (await projectContainers(ctx, [service])).filter((c) => !running || c.state === 'running');
  const c = index === undefined ? list[0] : list.find((x) => x.number === index);
  if (!c)
    throw new UserError(
      `service "${service}" has no ${running ? 'running ' : ''}container${index === undefined ? '' : ` with index ${index}`}${running ? '; start it with "up"' : ''}`,
    );
  return c;
}

/** Env entries from repeated -e KEY=VALUE / -e KEY (taken from our environment). */
export function envEntries(list: string[] = []): string[] {
  return list.flatMap((e) => (e.includes('=') ? [e] : process.env[e] !== undefined ? [`${e}=${process.env[e]}`] : []));
}
