// Who waits for what a container does next: its exit (docker wait, stop, kill, logs -f) and its removal
// (docker run --rm waits for condition=removed).
import { EventEmitter } from 'node:events';
import type { ContainerRecord } from './record.js';

export class ExitSignals {
  private readonly events = new EventEmitter();

  constructor() {
    this.events.setMaxListeners(0);
  }

  exitedWith(id: string, exitCode: number): void {
    this.events.emit(`exit:${id}`, exitCode);
  }
  removed(id: string, exitCode: number): void {
    this.events.emit(`removed:${id}`, exitCode);
  }

  /** The exit code once the container is not running (at once if it is not). */
  notRunning(rec: ContainerRecord | undefined): Promise<number> {
    if (!rec || (!rec.state.running && rec.state.status !== 'restarting')) return Promise.resolve(rec?.state.exitCode ?? 0);
    return this.nextExit(rec.id);
  }

  /** The exit code of the container's next exit, whatever its state now. */
  nextExit(id: string): Promise<number> {
    return new Promise((resolve) => this.events.once(`exit:${id}`, resolve));
  }

  /** The exit code it had when removed; -1 if `closed` (the client went away) comes first. */
  nextRemoval(id: string, closed?: Promise<void>): Promise<number> {
    const removed = new Promise<number>((resolve) => this.events.once(`removed:${id}`, resolve));
    return closed ? Promise.race([removed, closed.then(() => -1)]) : removed;
  }
}
