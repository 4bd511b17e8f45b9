// One exec console started ahead of need, waiting for its job: perl's start-up (tens of ms, more on a
// busy machine) is then not on an exec's path, nor is node's fork of it. The spare is started when an exec
// is created (the start request follows) and again once an exec ended, so at most one waits at a time; a
// start that finds none (execs in parallel, or the spare died) starts its own. A waiting spare holds neither
// the engine's event loop open nor anything else: the engine's end closes its fd 3 and it exits.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

export class SpareConsole {
  private spare: ChildProcess | undefined;
  /** consoles whose start failed (no perl): 'error' was emitted once, before anyone listened */
  private readonly failed = new WeakSet<ChildProcess>();
  private closed = false;

  constructor(private readonly command: () => { command: string; args: string[] }) {}

  /** Starts a spare unless one waits already (or the engine closed). */
  prepare(): void {
    if (this.closed) return;
    if (this.spare && this.usable(this.spare)) return;
    this.discard(this.spare);
    this.spare = this.start();
    setHold(this.spare, false);
  }

  /** A console waiting for its job (stdin, stdout, stderr and fd 3 piped): the spare, or one started now. */
  take(): ChildProcess {
    const spare = this.spare;
    this.spare = undefined;
    if (spare && this.usable(spare)) {
      setHold(spare, true);
      return spare;
    }
    this.discard(spare);
    return this.start();
  }

  /** Ends a waiting spare (the engine closes). */
  close(): void {
    this.closed = true;
    this.discard(this.spare);
    this.spare = undefined;
  }

  private start(): ChildProcess {
    const { command, args } = this.command();
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      // its own session: a signal to the engine's process group (a ctrl-c where it runs) leaves it running
      detached: true,
    });
    child.on('error', () => this.failed.add(child));
    for (const s of child.stdio) (s as Socket | null)?.on('error', () => {});
    return child;
  }

  private usable(child: ChildProcess): boolean {
    return child.exitCode === null && child.signalCode === null && !this.failed.has(child) && child.pid !== undefined;
  }

  /** Closing its job channel ends a console that has none (it exits 0 without running anything). */
  private discard(child: ChildProcess | undefined): void {
    if (!child) return;
    for (const s of child.stdio) (s as Socket | null)?.destroy();
  }
}

/** Whether the console (its process and its pipes) keeps node's event loop running. */
function setHold(child: ChildProcess, hold: boolean): void {
  if (hold) child.ref();
  else child.unref();
  for (const s of child.stdio) {
    const socket = s as Socket | null;
    if (hold) socket?.ref?.();
    else socket?.unref?.();
  }
}
