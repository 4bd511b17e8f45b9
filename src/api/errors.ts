// Errors the API throws when a service does not become ready or a handle is asked for something it lacks.
import { UserError } from '../errors.js';

/** A service did not become ready: names the service, what was awaited, and shows its last log lines. */
export class WaitError extends UserError {
  constructor(
    public readonly service: string,
    public readonly containerName: string,
    public readonly waitingFor: string,
    public readonly reason: string,
    public readonly lastLogLines: string[],
  ) {
    const logs = lastLogLines.length
      ? `\nlast log lines of ${containerName}:\n${lastLogLines.map((l) => `  | ${l}`).join('\n')}`
      : `\n${containerName} printed no logs`;
    super(`service "${service}" (${containerName}) did not become ready while waiting for ${waitingFor}: ${reason}${logs}`);
    this.name = 'WaitError';
  }
}
