#!/usr/bin/env node
// The `tscompose` command. It runs the CLI (run.ts) from its bundle, dist/cli/cli.cjs (made by
// scripts/bundle-cli.mjs), compiled through the code cache; from the modules themselves where there is no
// bundle (under tsx, or after tsc alone).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { requireWithCodeCache } from './code-cache.js';
import { invokedCommand } from './invoked-command.js';

type Cli = { run(): Promise<void> };

const bundle = fileURLToPath(new URL('./cli.cjs', import.meta.url));
const cli = existsSync(bundle)
  ? (requireWithCodeCache(bundle, invokedCommand(process.argv.slice(2)) ?? 'none') as Cli)
  : ((await import('./run.js')) as Cli);
await cli.run();
