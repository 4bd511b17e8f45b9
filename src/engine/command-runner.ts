// Host commands (ip, iptables, mount …) run by one long-lived `sh` instead of spawned by the engine:
// node's spawn() forks the whole engine process and blocks its event loop while doing so, about 1 ms
// per 25 MB of resident memory, on every container start and exit. The shell forks in microseconds and
// runs each job in a background subshell, so jobs run side by side as separate spawns would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { shellQuote } from '../shell-quote.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A heredoc delimiter that does not occur in `input`. */
function delimiter(input: string): string {
  let d = 'TSC_INPUT';
  while (input.split('\n').includes(d)) d += '_';
  return d;
}

export class CommandRunner {
  private shell?: ChildProcess;
  private dir?: string;
  private next = 0;
  private readonly pending = new Map<number, (r: { code: number }) => void>();
  private buffered = '';

  private start(): ChildProcess {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tsc-commands-'));
    this.dir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const shell = spawn('/bin/sh', [], { stdio: ['pipe', 'pipe', 'ignore'] });
    shell.stdout!.setEncoding('utf8');
    shell.stdout!.on('data', (chunk: string) => {
      this.buffered += chunk;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const [id, code] = this.buffered.slice(0, nl).split(' ').map(Number);
        this.buffered = this.buffered.slice(nl + 1);
        const done = this.pending.get(id!);
        this.pending.delete(id!);
        if (!this.pending.size) {
          this.holdOpen(false);
          // a non-interactive sh reaps its background jobs only when told to
          this.shell?.stdin!.write('wait\n');
        }
        done?.({ code: code! });
      }
    });
    shell.stdin!.on('error', () => {});
    shell.on('exit', () => {
      if (this.shell === shell) this.shell = undefined;
      for (const done of this.pending.values()) done({ code: 255 });
      this.pending.clear();
    });
    shell.unref();
    (shell.stdin as unknown as { unref(): void }).unref();
    (shell.stdout as unknown as { unref(): void }).unref();
    return shell;
  }

  /** The shell keeps this process alive only while jobs are pending. */
  private holdOpen(hold: boolean): void {
    const out = this.shell?.stdout as unknown as { ref(): void; unref(): void } | undefined;
    if (hold) out?.ref();
    else out?.unref();
  }

  /** The shell's pid while it runs (tests look for its zombies). */
  get shellPid(): number | undefined {
    return this.shell?.pid;
  }

  /** Runs `cmd args…` (with `input` on its stdin); resolves with its exit code and output. */
  async run(cmd: string, args: string[], input?: string): Promise<CommandResult> {
    this.shell ??= this.start();
    const id = this.next++;
    const out = path.join(this.dir!, `${id}.out`);
    const err = path.join(this.dir!, `${id}.err`);
    const command = [cmd, ...args].map(shellQuote).join(' ');
    const stdin =
      input === undefined ? '</dev/null' : `<<'${delimiter(input)}'\n${input}${input.endsWith('\n') ? '' : '\n'}${delimiter(input)}`;
    const job = `{ ${command} >${shellQuote(out)} 2>${shellQuote(err)} ${stdin}\necho "${id} $?"; } &\n`;
    const result = new Promise<{ code: number }>((resolve) => this.pending.set(id, resolve));
    if (this.pending.size === 1) this.holdOpen(true);
    this.shell.stdin!.write(job);
    const { code } = await result;
    const read = (f: string) => {
      try {
        return readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    };
    const r = { code, stdout: read(out), stderr: read(err) };
    rmSync(out, { force: true });
    rmSync(err, { force: true });
    return r;
  }

  close(): void {
    this.shell?.stdin?.end();
    this.shell = undefined;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The engine's runner. */
export const hostCommands = new CommandRunner();
