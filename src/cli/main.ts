#!/usr/bin/env node
// The `tscompose` command. Where the CLI is bundled (dist/cli/launch.cjs and cli.cjs, made by
// scripts/bundle-cli.mjs), it runs from the bundle (launch.ts); otherwise (under tsx, or after tsc alone)
// from its modules.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

if (existsSync(new URL('./launch.cjs', import.meta.url))) createRequire(import.meta.url)('./launch.cjs');
else await (await import('./run.js')).run();
