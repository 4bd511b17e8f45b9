// The shape shared by start, stop, restart, kill, pause and unpause: optional service names, one
// lifecycle verb applied to the project's containers, --dry-run printing what would happen.
import type { Command } from 'commander';
import { commandContext } from './context.js';
import { runLifecycle, type LifecycleOptions, type LifecycleVerb } from '../reconcile/index.js';

export type LifecycleFlags = Record<string, string | boolean | undefined>;

/** Registers `verb`; the caller adds the verb's own options to the returned command. */
export function lifecycleCommand(
  program: Command,
  verb: LifecycleVerb,
  description: string,
  options: (flags: LifecycleFlags) => LifecycleOptions = () => ({}),
): Command {
  return program
    .command(verb)
    .description(description)
    .argument('[services...]', 'Services (all when none are given)')
    .action(async (services: string[], flags: LifecycleFlags, command: Command) => {
      const ctx = await commandContext(command, { projectOptional: true });
      if (ctx.global.dryRun) {
        console.log(`DRY-RUN MODE - ${verb} ${services.join(', ') || 'all services'}`);
        return;
      }
      try {
        await runLifecycle(ctx, verb, services, options(flags));
      } finally {
        await ctx.progress.close();
      }
    });
}

export const timeoutSeconds = (flags: LifecycleFlags): number | undefined =>
  flags.timeout === undefined ? undefined : Number(flags.timeout);
