import type { Command } from 'commander';
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
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
