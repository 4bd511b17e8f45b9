// `events`: the project's container events as they happen.
import type { Command } from 'commander';
import { commandContext } from '../context.js';
import { onEngineEvents } from '../../client/event-stream.js';
import { LABEL, projectFilter } from '../../labels.js';

interface EngineEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  timeNano?: number;
}

export function register(program: Command): void {
  program
    .command('events')
    .description('Receive real time events from containers')
    .argument('[services...]', 'Services')
    .option('--json', 'Output events as a stream of json objects')
    .action(async (services: string[], flags: { json?: boolean }, command: Command) => {
      const ctx = await commandContext(command, { projectOptional: true });
      const stream = await ctx.engine.events({ type: ['container'], ...projectFilter(ctx.project.name) });
      onEngineEvents<EngineEvent>(stream, (e) => print(e, services, flags.json));
      await new Promise<void>((resolve) => {
        stream.on('end', resolve);
        process.once('SIGINT', () => {
          (stream as unknown as { destroy(): void }).destroy();
          resolve();
        });
      });
    });
}

function print(e: EngineEvent, services: string[], json?: boolean): void {
  const attrs = e.Actor.Attributes ?? {};
  const service = attrs[LABEL.service] ?? '';
  if (services.length && !services.includes(service)) return;
  const time = new Date(e.timeNano ? Number(BigInt(e.timeNano) / 1_000_000n) : e.time * 1000).toISOString();
  if (json) {
    console.log(
      JSON.stringify({
        time,
        type: e.Type,
        action: e.Action,
        id: e.Actor.ID,
        service,
        attributes: { name: attrs.name, image: attrs.image },
      }),
    );
  } else {
    console.log(`${time} container ${e.Action} ${e.Actor.ID} (image=${attrs.image}, name=${attrs.name})`);
  }
}
