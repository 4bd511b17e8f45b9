// How the reconciler reports what it does. The CLI renders it (task list or plain lines);
// library callers may pass nothing.
export type ResourceKind = 'Network' | 'Volume' | 'Container' | 'Image' | 'Service';

export interface ProgressReporter {
  /** a resource's state changed: "Creating", "Created", "Started", "Healthy", "Removed" … */
  update(kind: ResourceKind, name: string, status: string, final?: boolean): void;
  fail(kind: ResourceKind, name: string, message: string): void;
  /** a line of text that is not about one resource (warnings, build output) */
  note(text: string): void;
  /** verbose output (build steps): shown by the line renderer only */
  detail?(text: string): void;
  /** flush and restore the terminal */
  close(): Promise<void>;
}

export const silentProgress: ProgressReporter = {
  update() {},
  fail() {},
  note() {},
  detail() {},
  async close() {},
};

/** "1.2s" since `start` (ms), for final states like "Started 1.2s". */
export const elapsed = (start: number): string => `${((Date.now() - start) / 1000).toFixed(1)}s`;
