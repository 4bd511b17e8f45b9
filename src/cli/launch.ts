// Runs the CLI from its bundle, dist/cli/cli.cjs, through the code cache. main.ts starts this module from its
// own bundle, dist/cli/launch.cjs (both made by scripts/bundle-cli.mjs): as CommonJS, none of the modules the
// launch needs goes through Node's ES-module loader, which costs ~10 ms more for these few.
import { fileURLToPath } from 'node:url';
import { requireWithCodeCache } from './code-cache.js';
import { invokedCommand } from './invoked-command.js';

const bundle = fileURLToPath(new URL('./cli.cjs', import.meta.url));
const cli = requireWithCodeCache(bundle, invokedCommand(process.argv.slice(2)) ?? 'none') as { run(): Promise<void> };
void cli.run();
