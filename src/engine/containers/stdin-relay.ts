// Attach stdin to the container's process: what a client writes before the container runs (clients attach
// and write before they start it) is held and handed over once it has started.
export interface StdinSink {
  write(id: string, data: Buffer): void;
  end(id: string): void;
}

export class StdinRelay {
  private readonly pending = new Map<string, { chunks: Buffer[]; ended: boolean }>();

  /** @param isRunning whether the container's process runs now (then its stdin takes data directly) */
  constructor(
    private readonly sink: StdinSink,
    private readonly isRunning: (id: string) => boolean,
  ) {}

  write(id: string, data: Buffer): void {
    if (this.pending.has(id) || !this.isRunning(id)) this.held(id).chunks.push(data);
    else this.sink.write(id, data);
  }

  end(id: string): void {
    if (this.pending.has(id) || !this.isRunning(id)) this.held(id).ended = true;
    else this.sink.end(id);
  }

  /** The container has started: what was held goes to it, in order. */
  started(id: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    for (const c of p.chunks) this.sink.write(id, c);
    if (p.ended) this.sink.end(id);
  }

  private held(id: string): { chunks: Buffer[]; ended: boolean } {
    let p = this.pending.get(id);
    if (!p) {
      p = { chunks: [], ended: false };
      this.pending.set(id, p);
    }
    return p;
  }
}
