import type { EngineClient } from '../client/engine-client.js';
import type { Project } from '../model/types.js';
import type { ProgressReporter } from './progress.js';

/** What every reconcile operation works with. */
export interface ReconcileContext {
  engine: EngineClient;
  /** identifies the engine for the per-project lock, e.g. "docker:/var/run/docker.sock" */
  engineKey: string;
  project: Project;
  progress: ProgressReporter;
}
