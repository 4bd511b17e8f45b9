// What a container's filesystem makes: `docker diff` (GET /containers/{id}/changes), `docker export`
// (GET /containers/{id}/export) and `docker commit` (POST /commit).
import type { ImageRuntimeConfig, ImageService } from '../contracts.js';
import type { ContainerManagement } from '../contracts.js';
import { containerChanges, mountPoints, runtimeOnlyEntries } from '../containers/rw-layer.js';
import { applyChanges } from '../images/build/changes.js';
import { packTree } from '../images/build/layer-pack.js';
import { queryBool, readBody, sendJson } from './http.js';
import { invalid, notImplemented } from '../errors.js';
import type { Router } from './router.js';

// The image config keys a container's config carries over into a committed image, as Docker's commit does.
const IMAGE_KEYS = [
  'User',
  'ExposedPorts',
  'Env',
  'Entrypoint',
  'Cmd',
  'Volumes',
  'WorkingDir',
  'Labels',
  'StopSignal',
  'Healthcheck',
  'Shell',
  'OnBuild',
] as const;

export function registerContainerImageRoutes(router: Router, containers: ContainerManagement, images: ImageService): void {
  router.add('GET', '/containers/:id/changes', ({ res, params }) => {
    const rec = containers.get(params.id!);
    const layout = containers.layout(rec.id);
    const skipped = runtimeOnlyEntries(layout.upper, mountPoints(layout.bundle));
    sendJson(res, 200, containerChanges(layout.upper, rec.layerDirs, skipped));
  });

  router.add('GET', '/containers/:id/export', async ({ res, params }) => {
    await containers.withFilesystemView(params.id!, async (dir) => {
      res.writeHead(200, { 'Content-Type': 'application/x-tar' });
      await packTree(dir, res);
    });
  });

  router.add('POST', '/commit', async ({ req, res, query }) => {
    const ref = query.get('container');
    if (!ref) throw invalid('container is required');
    const rec = containers.get(ref);
    if (!images.commitLayer) throw notImplemented('this engine cannot commit containers');
    const body = await readBody(req);
    let overrides: Record<string, unknown> = {};
    if (body.length) {
      try {
        overrides = JSON.parse(body.toString('utf8')) ?? {};
      } catch {
        throw invalid('invalid JSON in the request body');
      }
    }
    const repo = query.get('repo');
    const tag = query.get('tag');
    if (!repo && tag) throw invalid('tag requires a repository name');
    const base: ImageRuntimeConfig = {};
    for (const k of IMAGE_KEYS) {
      const v = (overrides[k] ?? rec.config[k]) as never;
      if (v !== undefined && v !== null) (base as Record<string, unknown>)[k] = v;
    }
    const config = applyChanges(query.getAll('changes').filter(Boolean), base);
    const layout = containers.layout(rec.id);
    // Docker pauses a running container while it commits it, unless pause=0
    const wantPause = rec.state.running && !rec.state.paused && (!query.has('pause') || queryBool(query, 'pause'));
    // a container that exits meanwhile (its exit not recorded yet) is committed as a stopped one
    const pause =
      wantPause &&
      (await containers.pause(rec.id).then(
        () => true,
        (err: Error) => {
          if (/does not exist|not running|is not paused|stopped/i.test(err.message) || !containers.get(rec.id).state.running) return false;
          throw err;
        },
      ));
    try {
      const image = await images.commitLayer({
        parent: rec.imageId,
        layerDir: layout.upper,
        skip: runtimeOnlyEntries(layout.upper, mountPoints(layout.bundle)),
        config,
        name: repo ? `${repo}${tag ? `:${tag}` : ''}` : undefined,
        comment: query.get('comment') ?? undefined,
        author: query.get('author') ?? undefined,
        createdBy: [rec.path, ...rec.args].join(' '),
      });
      sendJson(res, 201, { Id: image.id });
    } finally {
      if (pause) await containers.unpause(rec.id).catch(() => {});
    }
  });
}
