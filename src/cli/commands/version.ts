import type { Command } from 'commander';
import { readFileSync } from 'node:fs';

// set by scripts/bundle-cli.mjs: the version in package.json when it built the bundle
declare const __TSCOMPOSE_VERSION__: string | undefined;

/** tscompose's version: built into the bundle, else read from the first package.json above this module
 *  (src/cli/commands/ when run from source), so the version is found at any depth. */
export function packageVersion(): string {
  if (typeof __TSCOMPOSE_VERSION__ === 'string') return __TSCOMPOSE_VERSION__;
  for (let dir = new URL('./', import.meta.url); ; dir = new URL('../', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'tscompose') return pkg.version;
    } catch {
      /* none here: look one level up */
    }
    if (dir.pathname === '/') throw new Error('tscompose: package.json not found above the CLI');
  }
}

export function register(program: Command): void {
  program
    .command('version')
    .description('Show the tscompose version information')
    .option('--format <format>', 'Format the output: pretty or json', 'pretty')
    .option('--short', 'Shows only the version number')
    .action((opts: { format: string; short?: boolean }) => {
      const version = packageVersion();
      if (opts.short) console.log(version);
      else if (opts.format === 'json') console.log(JSON.stringify({ version }));
      else console.log(`tscompose version v${version}`);
    });
}
