// How big V8's young generation may grow while a command loads a big stack. V8 doubles it (from 1 MB up to
// 16 MB per half) each time a scavenge finds it busy, and loading a stack keeps most of what it allocates (the
// files, the model, the output), so on a big stack it grows at nearly every scavenge. Every page it grows
// into is a page fault on first touch: ~20 µs each on a VM like the one this was measured on, where `config`
// of 500 services (187 KB) spent ~40 ms of its ~350 in them. Kept at its first size, the same few pages are
// reused, and what survives is promoted as before.
//
// Only for big stacks: a small one never makes the young generation grow, and loading node:v8 and the extra
// scavenge cost a short command ~3 ms. Only the CLI does this (the flag is the whole process's, and the API
// runs in its user's), and never the engine daemon, which keeps little of what it allocates.
import { statSync } from 'node:fs';

/** Stack files at least this big, together, get the fixed-size young generation (100 services is ~37 KB). */
const LARGE_STACK_BYTES = 32 * 1024;
/** V8's own value of --semi-space-growth-factor (src/flags/flag-definitions.h) */
const V8_DEFAULT_GROWTH_FACTOR = 2;

export async function sizeYoungGenerationFor(files: string[]): Promise<void> {
  let bytes = 0;
  for (const file of files) {
    try {
      bytes += statSync(file).size;
    } catch {
      /* loading the project reports it */
    }
  }
  if (bytes < LARGE_STACK_BYTES) return;
  try {
    const { setFlagsFromString } = await import('node:v8');
    // V8 reads the flag each time it would grow the young generation, so it can be set now
    setFlagsFromString('--semi-space-growth-factor=1');
    // V8 refuses a code cache made under other flags, and the launcher writes its entry at exit (code-cache.ts):
    // back to V8's default before that, so the entry matches the flags the next run starts with
    process.prependOnceListener('exit', () => setFlagsFromString(`--semi-space-growth-factor=${V8_DEFAULT_GROWTH_FACTOR}`));
  } catch {
    /* run with V8's default */
  }
}
