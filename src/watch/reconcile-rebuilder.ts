// The `rebuild` action through the reconciler: build the service's image, then recreate its containers
// when the image changed. A failed build throws before any container is touched.
import type { EngineClient } from '../client/engine-client.js';
import type { Project } from '../model/types.js';
import { upServices, type ProgressReporter } from '../reconcile/index.js';
import type { ServiceRebuilder } from './types.js';

const BUILD_LINES_KEPT = 8;

export function reconcileRebuilder(engine: EngineClient, engineKey: string): ServiceRebuilder {
  return {
    async rebuild(project: Project, service: string): Promise<void> {
      const lastLines: string[] = [];
      const progress: ProgressReporter = {
        update() {},
        fail() {},
        async close() {},
        note(text) {
          lastLines.push(...text.split('\n'));
          lastLines.splice(0, Math.max(0, lastLines.length - BUILD_LINES_KEPT));
        },
      };
      try {
        await upServices({ engine, engineKey, project, progress }, [service], { build: true, noDeps: true });
      } catch (err) {
        const output = lastLines.length ? `\n${lastLines.join('\n')}` : '';
        throw new Error(`${(err as Error).message}${output}`);
      }
    },
  };
}
