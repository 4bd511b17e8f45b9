// The `tscompose` command: runs the CLI from its bundle, dist/cli/cli.cjs, through the code cache. This module is
// bundled on its own into dist/cli/tscompose.cjs (both made by scripts/bundle-cli.mjs), the package's bin, which
// main.js requires too. As a CommonJS entry it never loads Node's ES-module loader, ~9 ms of a short command.
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { requireWithCodeCache } from './code-cache.js';
import { invokedCommand } from './invoked-command.js';

const command = invokedCommand(process.argv.slice(2));
if (command !== 'engine') keepYoungGenerationSmall();
const bundle = fileURLToPath(new URL('./cli.cjs', import.meta.url));
const cli = requireWithCodeCache(bundle, command ?? 'none') as { run(): Promise<void> };
void cli.run();

/**
 * V8 doubles its young generation (from 1 MB up to 16 MB per half) each time a scavenge finds it busy. A command
 * keeps most of what it allocates until it exits (the stack files, the model, the output), so the young
 * generation grows at every scavenge, and every page it grows into is a page fault on first touch: ~20 µs each
 * on a VM like the one this was measured on, where `config` of 500 services spent ~40 ms of its ~350 in them.
 * Kept at its first size, the same few pages are reused; what survives is promoted as before. Not for the
 * engine daemon, a long-lived process whose garbage is short-lived. The flag is read by V8 each time it would
 * grow the young generation, so it can be set now; a Node that refuses it runs as before.
 */
function keepYoungGenerationSmall(): void {
  try {
    setFlagsFromString('--semi-space-growth-factor=1');
  } catch {
    /* run with V8's default */
  }
}
