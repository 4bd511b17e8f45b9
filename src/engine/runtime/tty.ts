// The runtime proxies a container's terminal through its own controlling terminal when it runs in the
// foreground (`runc run`/`runc exec` with terminal: true), so it needs one: util-linux `script` gives it a pty.
// (Receiving the pty master over --console-socket would need SCM_RIGHTS, which node cannot do.)
import { shellQuote } from '../../shell-quote.js';

export function underPty(command: string, args: string[]): { command: string; args: string[] } {
  return { command: 'script', args: ['-q', '-f', '-e', '-c', [command, ...args].map(shellQuote).join(' '), '/dev/null'] };
}
