// The `tscompose` command: runs the CLI from its bundle, dist/cli/cli.cjs, through the code cache. This module is
// bundled on its own into dist/cli/tscompose.cjs (both made by scripts/bundle-cli.mjs), the package's bin, which
// main.js requires too. As a CommonJS entry it never loads Node's ES-module loader, ~9 ms of a short command.
import { fileURLToPath } from 'node:url';
import { requireWithCodeCache } from './code-cache.js';
import { invokedCommand } from './invoked-command.js';

// set by scripts/bundle-cli.mjs: the hash of cli.cjs as it built it
declare const __TSCOMPOSE_BUNDLE_HASH__: string | undefined;

// A command that has finished exits once nothing is left to do ('beforeExit' comes only when every write and
// request is done) without Node's teardown of the heap, page by page: ~3-6 ms of a short command here. 'exit'
// listeners (the code cache's) still run.
process.once('beforeExit', (code) => process.exit(code));

const bundle = fileURLToPath(new URL('./cli.cjs', import.meta.url));
const builtHash = typeof __TSCOMPOSE_BUNDLE_HASH__ === 'string' ? __TSCOMPOSE_BUNDLE_HASH__ : undefined;
const cli = requireWithCodeCache(bundle, invokedCommand(process.argv.slice(2)) ?? 'none', undefined, builtHash) as { run(): Promise<void> };
void cli.run();
