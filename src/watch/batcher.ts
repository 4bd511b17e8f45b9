// Gathers bursts of changes into one action: flushes after `debounceMs` of quiet, or `maxWaitMs` after the
// first change at the latest, and never runs two flushes at once (changes during a flush wait for the next).
export interface BatcherOptions {
  debounceMs: number;
  maxWaitMs: number;
}

export class Batcher<T> {
  private pending = new Map<string, T>();
  private firstAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly options: BatcherOptions,
    private readonly keyOf: (item: T) => string,
    private readonly flush: (items: T[]) => Promise<void>,
  ) {}

  add(item: T): void {
    if (this.closed) return;
    if (this.pending.size === 0) this.firstAt = Date.now();
    this.pending.set(this.keyOf(item), item);
    this.schedule();
  }

  get size(): number {
    return this.pending.size;
  }

  /** Resolves when nothing is pending and no flush is running. */
  idle(): Promise<void> {
    if (this.pending.size === 0 && !this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops scheduling; waits for a running flush. Pending items are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.pending.clear();
    await this.running;
    this.notifyIdle();
  }

  private schedule(): void {
    if (this.running) return; // the running flush reschedules when it ends
    clearTimeout(this.timer);
    const waited = Date.now() - this.firstAt;
    const delay = Math.max(0, Math.min(this.options.debounceMs, this.options.maxWaitMs - waited));
    this.timer = setTimeout(() => this.runFlush(), delay);
  }

  private runFlush(): void {
    this.timer = undefined;
    if (this.closed || this.pending.size === 0) {
      this.notifyIdle();
      return;
    }
    const items = [...this.pending.values()];
    this.pending.clear();
    this.running = this.flush(items)
      .catch(() => {
        /* the flush reports its own errors */
      })
      .finally(() => {
        this.running = undefined;
        if (this.pending.size > 0 && !this.closed) {
          this.schedule();
        } else this.notifyIdle();
      });
  }

  private notifyIdle(): void {
    if (this.pending.size > 0 || this.running) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
