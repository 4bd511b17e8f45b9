// docker compose's global flags, shared by every command.
import type { Command } from 'commander';
import type { LoadOptions } from '../model/types.js';

export interface GlobalOptions {
  file?: string[];
  projectName?: string;
  projectDirectory?: string;
  profile?: string[];
  envFile?: string[];
  engine?: string; // "bundled" | "docker"; default: docker when DOCKER_HOST is set, bundled otherwise
  dryRun?: boolean;
  ansi?: 'auto' | 'always' | 'never';
  progress?: 'auto' | 'tty' | 'plain' | 'quiet';
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addGlobalOptions(program: Command): Command {
  return program
    .option('-f, --file <path>', 'Compose configuration file (repeatable; "-" reads stdin)', collect)
    .option('-p, --project-name <name>', 'Project name')
    .option('--project-directory <dir>', 'Alternate working directory (default: the first file\'s directory)')
    .option('--profile <name>', 'Profile to enable (repeatable)', collect)
    .option('--env-file <path>', 'Alternate environment file (repeatable)', collect)
    .option('--engine <engine>', 'Engine to use: "bundled" (default) or "docker" (default when DOCKER_HOST is set)')
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
