// The runtime proxies a container's terminal through its own controlling terminal when it runs in the
// foreground (`runc run`/`runc exec` with terminal: true), so it needs one: util-linux `script` gives it a pty.
// Only the fallbacks run it so (no reaper, or no syscall numbers for perl on this architecture), and such a
// terminal keeps the size it started with; otherwise perl holds the pty master (containers/console-holder.ts).
import { shellQuote } from '../../shell-quote.js';

export function underPty(command: string, args: string[]): { command: string; args: string[] } {
  return { command: 'script', args: ['-q', '-f', '-e', '-c', [command, ...args].map(shellQuote).join(' '), '/dev/null'] };
}
