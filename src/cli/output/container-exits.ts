// The exit codes of followed containers, from the engine's die events: a container that its restart policy restarts
// quickly (Docker's first restart comes after 100 ms) is running again by the time its log stream has ended, and
// inspect then shows the new run's state, not how the previous one ended. docker compose reads them from events too.
import type { EngineClient } from '../../client/engine-client.js';
import { onEngineEvents } from '../../client/event-stream.js';

interface DieEvent {
  Action?: string;
  status?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  id?: string;
}

export class ContainerExits {
  private readonly seen = new Map<string, number[]>();
  private readonly waiting = new Map<string, (code: number) => void>();

  private constructor(private readonly stream: NodeJS.ReadableStream) {
    onEngineEvents<DieEvent>(stream, (e) => this.onEvent(e));
    stream.on('error', () => {});
  }

  /** Watches the die events of these containers from now on; undefined when the engine gives no events. */
  static async watch(engine: EngineClient, ids: string[]): Promise<ContainerExits | undefined> {
    if (!ids.length) return undefined;
    try {
      return new ContainerExits(await engine.events({ type: ['container'], event: ['die'], container: ids }));
    } catch {
      return undefined;
    }
  }

  private onEvent(e: DieEvent): void {
    const id = e.Actor?.ID ?? e.id;
    if ((e.Action ?? e.status) !== 'die' || !id) return;
    const code = Number(e.Actor?.Attributes?.exitCode ?? 0);
    const waiter = this.waiting.get(id);
    if (waiter) {
      this.waiting.delete(id);
      waiter(code);
    } else this.seen.set(id, [...(this.seen.get(id) ?? []), code]);
  }

  /** The exit code of the container's next die event (one already received counts), or undefined if none comes in time. */
  next(id: string, timeoutMs: number): Promise<number | undefined> {
    const queued = this.seen.get(id);
    if (queued?.length) return Promise.resolve(queued.shift());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(id, (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  close(): void {
    (this.stream as unknown as { destroy?: () => void }).destroy?.();
  }
}
