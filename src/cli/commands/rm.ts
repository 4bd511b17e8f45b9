// `rm`: remove stopped service containers (-s stops them first).
import type { Command } from 'commander';
import { commandContext } from '../context.js';
import { projectContainers, runLifecycle } from '../../reconcile/index.js';

export function register(program: Command): void {
  program
    .command('rm')
    .description('Removes stopped service containers')
    .argument('[services...]', 'Services (all when none are given)')
    .option('-f, --force', "Don't ask to confirm removal")
    .option('-s, --stop', 'Stop the containers, if required, before removing')
    .option('-v, --volumes', 'Remove any anonymous volumes attached to containers')
    .action(async (services: string[], flags: { force?: boolean; stop?: boolean; volumes?: boolean }, command: Command) => {
      const ctx = await commandContext(command, { projectOptional: true });
      const candidates = (await projectContainers(ctx, services)).filter((c) => flags.stop || c.state !== 'running');
      if (!candidates.length) {
        process.stderr.write('No stopped containers\n');
        return;
      }
      if (ctx.global.dryRun) {
        for (const c of candidates) console.log(`DRY-RUN MODE - Container ${c.name}  Remove`);
        return;
      }
      if (!flags.force) {
        process.stderr.write(`Going to remove ${candidates.map((c) => c.name).join(', ')}\n`);
        if (process.stdin.isTTY && !(await confirm('Are you sure? [yN] '))) return;
      }
      try {
        await runLifecycle(ctx, 'rm', services, { stopFirst: flags.stop, removeVolumes: flags.volumes });
      } finally {
        await ctx.progress.close();
      }
    });
}

async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
