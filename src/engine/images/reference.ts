// Image references as the engine takes them (parsing lives in src/registry/reference.ts, shared with the client
// side): a name that is no reference is an invalid request.
import { invalid } from '../errors.js';
import { InvalidReferenceError, parseReference as parse, type ImageReference } from '../../registry/reference.js';

export {
  DEFAULT_DOMAIN,
  canonicalName,
  familiarName,
  isReferenceLike,
  repositoryName,
  type ImageReference,
} from '../../registry/reference.js';

export function parseReference(raw: string): ImageReference {
  try {
    return parse(raw);
  } catch (err) {
    throw err instanceof InvalidReferenceError ? invalid(err.message) : err;
  }
}
