// The fallback launcher, where there is no reaper (launch-reaper.ts): the supervisor runs `runc run` in the
// foreground per container, so the runtime reaps the container and reports its exit code, and stays
// resident (about 10 MB) for as long as the container runs. A supervisor that dies takes the containers'
// stdio with it.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { shellQuote } from '../../shell-quote.js';
import { underPty } from '../runtime/tty.js';
import { runtimeRunArgs, type Ended, type Job, type Launched, type Launcher } from './launch.js';

/** A shell started ahead of time, its stdio already piped to this process, waiting on stdin for the
 *  command it then becomes (exec): starting a container forks nothing here, where a fork of this node
 *  process would hold up its event loop for about 2 ms. */
function warmLauncher(): ChildProcess {
  const child = spawn('/bin/sh', ['-c', 'IFS= read -r cmd && eval "exec $cmd"'], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin!.on('error', () => {});
  return child;
}

export class ForegroundLauncher implements Launcher {
  readonly mode = 'foreground';
  private warm?: ChildProcess;

  constructor(private readonly runtime: string) {}

  private refill(): void {
    if (this.warm) return;
    const next = warmLauncher();
    next.once('exit', () => {
      if (this.warm === next) this.warm = undefined;
    }); // killed while waiting: make another
    this.warm = next;
  }

  launch(job: Job): Promise<Launched> {
    const runArgs = runtimeRunArgs(job, false);
    const cmd = job.tty ? underPty(this.runtime, runArgs) : { command: this.runtime, args: runArgs };
    const child = this.warm ?? warmLauncher();
    this.warm = undefined;
    child.stdin!.write(`${[cmd.command, ...cmd.args].map(shellQuote).join(' ')}\n`);
    if (!job.openStdin && !job.tty) child.stdin!.end();
    setImmediate(() => this.refill());
    let spawnError: Error | undefined;
    child.on('error', (err) => {
      spawnError = err;
    });
    const ended = new Promise<Ended>((resolve) =>
      child.on('close', (code, signal) =>
        resolve({
          code: spawnError ? 255 : code !== null ? code : 128 + (constants.signals[signal!] ?? 0),
          runtimeExit: true,
        }),
      ),
    );
    return Promise.resolve({
      runtimePid: child.pid ?? 0,
      stdout: child.stdout!,
      stderr: child.stderr!,
      stdin: job.openStdin || job.tty ? child.stdin! : undefined,
      endStdin: () => child.stdin!.end(),
      ended,
    });
  }
}
