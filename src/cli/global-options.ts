// docker compose's global flags, shared by every command.
import type { Command } from 'commander';
import type { LoadOptions } from '../model/types.js';

export interface GlobalOptions {
  file?: string[];
  projectName?: string;
  projectDirectory?: string;
  profile?: string[];
  envFile?: string[];
  engine?: string; // "bundled" | "docker" | "swarm"; default: docker when DOCKER_HOST is set, bundled otherwise
  dryRun?: boolean;
  ansi?: 'auto' | 'always' | 'never';
  progress?: 'auto' | 'tty' | 'plain' | 'quiet';
}

/** Commander's accumulator for repeatable flags (`-f a -f b`). */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addGlobalOptions(program: Command): Command {
  return program
    .option('-f, --file <path>', 'Compose configuration file (repeatable; "-" reads stdin)', collect)
    .option('-p, --project-name <name>', 'Project name')
    .option('--project-directory <dir>', "Alternate working directory (default: the first file's directory)")
    .option('--profile <name>', 'Profile to enable (repeatable)', collect)
    .option('--env-file <path>', 'Alternate environment file (repeatable)', collect)
    .option(
      '--engine <engine>',
      'Engine to use: "bundled" (default), "docker" (default when DOCKER_HOST is set) or "swarm" (the swarm manager at DOCKER_HOST)',
    )
    .option('--dry-run', 'Print what would be done without doing it')
    .option('--ansi <when>', 'Control characters: never, always, auto', 'auto')
    .option('--progress <type>', 'Progress output: auto, tty, plain, quiet', 'auto');
}

export function toLoadOptions(g: GlobalOptions): LoadOptions {
  return {
    files: g.file,
    projectName: g.projectName,
    projectDirectory: g.projectDirectory,
    profiles: g.profile,
    envFiles: g.envFile,
  };
}

/** Gives every sub-command the global flags it does not define itself (a command's own flag wins,
 *  as with docker compose's `down -v` or `run -p`), without defaults so the root's values survive. */
export function shareGlobalOptions(program: Command): void {
  for (const sub of program.commands) {
    for (const opt of program.options) {
      if (opt.long === '--version') continue;
      if (sub.options.some((o) => o.long === opt.long)) continue;
      const shortTaken = !opt.short || sub.options.some((o) => o.short === opt.short);
      const flags = shortTaken ? opt.long! : `${opt.short}, ${opt.long}`;
      const clone = sub
        .createOption(opt.required || opt.optional ? `${flags} ${opt.flags.split(' ').pop()}` : flags, opt.description)
        .hideHelp();
      if (opt.parseArg) clone.argParser(opt.parseArg as (v: string, p: unknown) => unknown);
      sub.addOption(clone);
    }
  }
}

/** Root flags combined with the same flags given after the command name; repeatable ones add up. */
export function mergeGlobalOptions(root: GlobalOptions, sub: Record<string, unknown>): GlobalOptions {
  const merged: Record<string, unknown> = { ...root };
  const keys: (keyof GlobalOptions)[] = [
    'file',
    'projectName',
    'projectDirectory',
    'profile',
    'envFile',
    'engine',
    'dryRun',
    'ansi',
    'progress',
  ];
  for (const key of keys) {
    const v = sub[key];
    if (v === undefined) continue;
    merged[key] = Array.isArray(v) ? [...((root[key] as string[] | undefined) ?? []), ...v] : v;
  }
  return merged as GlobalOptions;
}
