#!/usr/bin/env node
// `node dist/cli/main.js`, the CLI as the tests and older scripts start it. Where the CLI is bundled
// (dist/cli/tscompose.cjs and cli.cjs, made by scripts/bundle-cli.mjs), it runs from the bundle through the
// launcher (launch.ts), which is also the package's bin; otherwise (under tsx, or after tsc alone) from its
// modules.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

if (existsSync(new URL('./tscompose.cjs', import.meta.url))) createRequire(import.meta.url)('./tscompose.cjs');
else await (await import('./run.js')).run();
