// Detach keys, as Docker's: a comma-separated sequence of `ctrl-<c>` or single characters (default ctrl-p,ctrl-q).
// When the sequence arrives on a TTY attach's or exec's stdin the engine stops forwarding and closes the
// stream; the container (or exec process) keeps running. A partial match is held back until it completes or
// fails, then passed on.

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** Docker's term.ToBytes; throws on an invalid sequence. */
export function parseDetachKeys(spec: string): number[] {
  const out: number[] = [];
  for (const raw of spec.split(',')) {
    const key = raw.trim();
    if (key.length > 1 && key.startsWith('ctrl-')) {
      const c = key.slice(5);
      if (c.length !== 1) throw new Error(`invalid detach keys: ${spec}`);
      const code = c.toLowerCase().charCodeAt(0);
      if (code >= 97 && code <= 122) out.push(code - 96);
      else if (c === '@') out.push(0);
      else if ('[\\]^_'.includes(c)) out.push(c.charCodeAt(0) - 64);
      else throw new Error(`invalid detach keys: ${spec}`);
    } else if (key.length === 1) out.push(key.charCodeAt(0));
    else throw new Error(`invalid detach keys: ${spec}`);
  }
  return out;
}

/** Feeds stdin chunks through; `push` returns what to forward and whether the sequence completed. */
export class DetachFilter {
  private held = 0;
  constructor(private readonly keys: number[]) {}

  push(chunk: Buffer): { data: Buffer; detached: boolean } {
    if (!this.keys.length) return { data: chunk, detached: false };
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.held]) {
        this.held++;
        if (this.held === this.keys.length) return { data: Buffer.from(out), detached: true };
        continue;
      }
      for (let i = 0; i < this.held; i++) out.push(this.keys[i]!);
      this.held = 0;
      if (byte === this.keys[0]) {
        this.held = 1;
        if (this.keys.length === 1) return { data: Buffer.from(out), detached: true };
        continue;
      }
      out.push(byte);
    }
    return { data: Buffer.from(out), detached: false };
  }
}
