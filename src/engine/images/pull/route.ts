// POST /images/create?fromImage=…: registry pulls.
import type { RequestContext } from '../../api/router.js';
import { EngineError } from '../../api/http.js';
import type { ImageServiceImpl } from '../service.js';

export async function pullRoute(_c: RequestContext, _service: ImageServiceImpl): Promise<void> {
  throw new EngineError(501, 'registry pulls are not implemented yet');
}
