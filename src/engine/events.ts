// The engine's event bus: every subsystem publishes here; GET /events streams from it.
import { EventEmitter } from 'node:events';

export interface EngineEvent {
  Type: 'container' | 'image' | 'network' | 'volume' | 'daemon';
  Action: string; // create, start, die, destroy, health_status: healthy, pull, tag, connect …
  Actor: { ID: string; Attributes: Record<string, string> };
  scope?: 'local';
  time?: number;
  timeNano?: number;
}

export class EventBus extends EventEmitter {
  private history: Required<EngineEvent>[] = [];

  publish(event: EngineEvent): void {
    const now = Date.now();
    const full = { scope: 'local' as const, time: Math.floor(now / 1000), timeNano: now * 1e6, ...event };
    this.history.push(full);
    if (this.history.length > 1000) this.history.shift();
    this.emit('event', full);
  }

  since(unixSeconds: number): Required<EngineEvent>[] {
    return this.history.filter((e) => e.time >= unixSeconds);
  }
}
