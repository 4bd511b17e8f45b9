// Finding networks and containers by the references users give, as Docker resolves them.
import { invalid } from '../errors.js';
import type { AttachedContainer, NetworkRecord } from './state.js';

/** Docker's order: full id, then name, then id prefix; a name or prefix that more than one network has is
 *  ambiguous (400), as Docker answers it. */
export function findNetworkIn(all: readonly NetworkRecord[], ref: string): NetworkRecord | undefined {
  const byId = all.find((n) => n.id === ref);
  if (byId) return byId;
  const byName = all.filter((n) => n.name === ref);
  if (byName.length > 1) throw invalid(`network ${ref} is ambiguous (${byName.length} matches found based on name)`);
  if (byName.length === 1) return byName[0];
  const byPrefix = ref ? all.filter((n) => n.id.startsWith(ref)) : [];
  if (byPrefix.length > 1) throw invalid(`network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
  return byPrefix[0];
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
