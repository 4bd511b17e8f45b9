// The public shapes of develop.watch: what `startWatch` takes and returns, and the seam to the reconciler.
import type { EngineClient } from '../client/engine-client.js';
import type { Project } from '../model/types.js';

/** Builds a service's image and recreates its containers. Throws on failure, leaving the old containers running. */
export interface ServiceRebuilder {
  rebuild(project: Project, service: string): Promise<void>;
}

export interface StartWatchOptions {
  project: Project;
  engine: EngineClient;
  /** services to watch; default: every service with develop.watch rules */
  services?: string[];
  /** used by `rebuild` rules; default: a built-in one that builds with the engine and recreates from the old container */
  rebuilder?: ServiceRebuilder;
  /** one line per sync, restart, rebuild or error; default: stdout */
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** names the engine for the per-project lock the default rebuilder takes, e.g. "docker:/var/run/docker.sock" */
  engineKey?: string;
  /** remove the previous image after a rebuild when nothing uses it any more (`--prune`) */
  prune?: boolean;
  /** batching of bursts: trailing quiet time and the longest a change waits (defaults 50 ms / 1000 ms) */
  debounceMs?: number;
  /** false: the file watchers do not keep the process alive on their own (default true) */
  persistent?: boolean;
  maxWaitMs?: number;
}

export interface WatchHandle {
  /** resolves when every watcher is ready and every `initial_sync` rule has been copied */
  ready: Promise<void>;
  /** resolves once nothing is pending or running (handy for tests and benchmarks) */
  idle(): Promise<void>;
  /** completed actions, for tests: one entry per sync/restart/exec/rebuild */
  readonly events: WatchEvents;
  close(): Promise<void>;
}

export type ActionKind = 'sync' | 'restart' | 'exec' | 'rebuild' | 'error';

export interface ActionEvent {
  service: string;
  kind: ActionKind;
  paths: string[];
  durationMs: number;
  message?: string;
}

/** Listeners for completed actions. */
export interface WatchEvents {
  on(listener: (event: ActionEvent) => void): () => void;
}
