// `images`: the images the project's containers use.
import type { Command } from 'commander';
import { commandContext } from '../context.js';
import { projectContainers } from '../../reconcile/index.js';
import { formatTable, humanSize } from '../output/table.js';

export function register(program: Command): void {
  program
    .command('images')
    .description('List images used by the created containers')
    .argument('[services...]', 'Services')
    .option('-q, --quiet', 'Only display IDs')
    .option('--format <format>', 'Format the output: table or json', 'table')
    .action(async (services: string[], flags: { quiet?: boolean; format?: string }, command: Command) => {
      const ctx = await commandContext(command, { projectOptional: true });
      if (ctx.engineKind === 'swarm') return (await import('../../swarm/cli.js')).swarmImages(ctx, services, flags);
      const containers = await projectContainers(ctx, services);
      const rows = await Promise.all(
        containers.map(async (c) => {
          const img = await ctx.engine.inspectImage(c.imageId).catch(() => undefined);
          const [repo, tag] = splitRef(img?.RepoTags?.[0] ?? '<none>:<none>');
          return { container: c.name, repo, tag, id: c.imageId, size: img?.Size ?? 0 };
        }),
      );
      if (flags.quiet) {
        for (const id of new Set(rows.map((r) => r.id))) console.log(id);
        return;
      }
      if (flags.format === 'json') {
        console.log(
          JSON.stringify(rows.map((r) => ({ ContainerName: r.container, Repository: r.repo, Tag: r.tag, ID: r.id, Size: r.size }))),
        );
        return;
      }
      console.log(
        formatTable(
          ['CONTAINER', 'REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE'],
          rows.map((r) => [r.container, r.repo, r.tag, r.id.replace('sha256:', '').slice(0, 12), humanSize(r.size)]),
        ),
      );
    });
}

function splitRef(ref: string): [string, string] {
  const i = ref.lastIndexOf(':');
  return i > ref.lastIndexOf('/') ? [ref.slice(0, i), ref.slice(i + 1)] : [ref, 'latest'];
}
