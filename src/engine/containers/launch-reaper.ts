// The supervisor's side of the reaper (reaper-script.ts, its parent): the reaper forks `runc run -d` per
// container with FIFOs in the container's directory as its stdio, and collects the container's exit
// status; the supervisor reads the FIFOs and keeps no process per container. The channel is the
// socketpair the reaper passed as an inherited fd: nothing else can reach it.
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { jobPaths, type Ended, type Job, type Launched, type Launcher } from './launch.js';

const fifo = (dir: string, name: 'stdout' | 'stderr' | 'stdin') => path.join(dir, `${name}.pipe`);

/** A FIFO end as a stream on node's event loop (non-blocking, no thread pool read per container). */
function openFifo(file: string, mode: 'read' | 'write'): net.Socket {
  const fd = openSync(file, (mode === 'read' ? constants.O_RDONLY : constants.O_WRONLY) | constants.O_NONBLOCK);
  try {
    const sock = new net.Socket({ fd, readable: mode === 'read', writable: mode === 'write' });
    sock.on('error', () => {});
    return sock;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** A container the reaper knows about when the supervisor starts: running, or ended with no supervisor to hear it. */
export interface Adopted {
  id: string;
  launched: Launched;
}

export class ReaperLauncher implements Launcher {
  readonly mode = 'reaper';
  private readonly chan: net.Socket;
  private readonly spawned = new Map<string, { resolve: (pid: number) => void; reject: (e: Error) => void }>();
  private readonly exits = new Map<string, (e: Ended) => void>();
  /** exits reported before the supervisor had opened that container's streams */
  private readonly earlyExits = new Map<string, Ended>();
  private listing?: { states: { id: string; exit?: Ended }[]; done: (s: { id: string; exit?: Ended }[]) => void };

  /** @param onLost the reaper is gone (its containers cannot be supervised anymore) */
  constructor(
    fd: number,
    private readonly root: string,
    onLost: () => void,
  ) {
    this.chan = new net.Socket({ fd, readable: true, writable: true });
    this.chan.on('error', () => {});
    this.chan.on('close', onLost);
    let buf = '';
    this.chan.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.handle(line.split(' '));
      }
    });
  }

  private send(line: string): void {
    this.chan.write(`${line}\n`);
  }

  private handle([op, id = '', ...rest]: string[]): void {
    if (op === 'spawned' || op === 'failed') {
      const w = this.spawned.get(id);
      this.spawned.delete(id);
      if (op === 'spawned') w?.resolve(Number(rest[0]));
      else w?.reject(new Error(rest.join(' ')));
    } else if (op === 'exit') {
      const ended = { code: Number(rest[0]), runtimeExit: rest[1] === '1' };
      const onExit = this.exits.get(id);
      if (onExit) onExit(ended);
      else this.earlyExits.set(id, ended);
    } else if (op === 'state' && this.listing) {
      this.listing.states.push({ id, exit: rest[0] === 'exit' ? { code: Number(rest[1]), runtimeExit: rest[2] === '1' } : undefined });
    } else if (op === 'listed' && this.listing) {
      this.listing.done(this.listing.states);
      this.listing = undefined;
    }
  }

  async launch(job: Job): Promise<Launched> {
    const withStdin = job.openStdin || job.tty;
    const runtimePid = await new Promise<number>((resolve, reject) => {
      this.spawned.set(job.id, { resolve, reject });
      this.send(`run ${job.id} ${withStdin ? 1 : 0} ${job.tty ? 1 : 0}`);
    });
    return this.open(job.id, withStdin, runtimePid);
  }

  /** The containers the reaper ran for a previous supervisor: their streams reopened, ended ones with their exit. */
  async adopt(): Promise<Adopted[]> {
    const states = await new Promise<{ id: string; exit?: Ended }[]>((done) => {
      this.listing = { states: [], done };
      this.send('list');
    });
    return states.map(({ id, exit }) => {
      if (exit && !this.earlyExits.has(id)) this.earlyExits.set(id, exit);
      return { id, launched: this.open(id, existsSync(fifo(jobPaths(this.root, id).dir, 'stdin')), 0) };
    });
  }

  private open(id: string, withStdin: boolean, runtimePid: number): Launched {
    const { dir } = jobPaths(this.root, id);
    let stdout: net.Socket | PassThrough;
    let stderr: net.Socket | PassThrough;
    try {
      stdout = openFifo(fifo(dir, 'stdout'), 'read');
      stderr = openFifo(fifo(dir, 'stderr'), 'read');
    } catch {
      // the FIFOs are gone (the directory was removed): nothing to read
      stdout = new PassThrough();
      stdout.end();
      stderr = new PassThrough();
      stderr.end();
    }
    let stdin: net.Socket | undefined;
    if (withStdin) {
      try {
        stdin = openFifo(fifo(dir, 'stdin'), 'write');
      } catch {
        /* the container closed its stdin */
      }
    }
    const ended = new Promise<Ended>((resolve) => {
      this.exits.set(id, (e) => {
        this.exits.delete(id);
        stdin?.destroy();
        // the supervisor holds the read ends: once the reaper closes its own, they read to the end of the output
        this.send(`release ${id}`);
        resolve(e);
      });
    });
    const early = this.earlyExits.get(id);
    this.earlyExits.delete(id);
    if (early) this.exits.get(id)!(early);
    return {
      runtimePid,
      stdout,
      stderr,
      stdin,
      ended,
      endStdin: () => {
        this.send(`stdin-close ${id}`);
        stdin?.end(() => stdin?.destroy());
      },
      resize: (rows, columns) => this.send(`resize ${id} ${rows} ${columns}`),
    };
  }
}
