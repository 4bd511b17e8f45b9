// Finding networks and containers by the references users give, as Docker resolves them.
import type { AttachedContainer, NetworkRecord } from './state.js';

/** Docker's order: full id, then name, then unique id prefix. */
export function findNetworkIn(all: readonly NetworkRecord[], ref: string): NetworkRecord | undefined {
  const byPrefix = all.filter((n) => n.id.startsWith(ref));
  return all.find((n) => n.id === ref) ?? all.find((n) => n.name === ref) ?? (ref && byPrefix.length === 1 ? byPrefix[0] : undefined);
}

/** Full id, then name (with or without its leading slash), then unique id prefix. */
export function findContainerIn(all: readonly AttachedContainer[], ref: string): AttachedContainer | undefined {
  const byPrefix = all.filter((c) => c.id.startsWith(ref));
  return (
    all.find((c) => c.id === ref) ??
    all.find((c) => c.name === ref.replace(/^\//, '')) ??
    (ref && byPrefix.length === 1 ? byPrefix[0] : undefined)
  );
}
