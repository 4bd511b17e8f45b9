// One build as the image subsystem runs it: receive the context tarball, run the Dockerfile with the
// classic builder, and remove the received context whatever the outcome.
import type { BuildRequest, OneShotRunner } from '../../contracts.js';
import type { EnginePaths } from '../../paths.js';
import type { ImageStore, StoredImage } from '../store.js';
import { invalid } from '../../errors.js';
import { Builder } from './builder.js';
import { receiveContext, type BuildContext } from './context.js';
import { DockerfileParseError } from './dockerfile.js';

export interface BuildServices {
  store: ImageStore;
  runner: OneShotRunner;
  paths: EnginePaths;
}

export async function runBuild(deps: BuildServices, req: BuildRequest, emit: (msg: Record<string, unknown>) => void): Promise<StoredImage> {
  const { store, runner, paths } = deps;
  let context: BuildContext | undefined;
  try {
    context = await receiveContext(req.context, paths.tmp, req.dockerfile);
    // an unknown session token is refused only now, once the request body was read
    const session = req.session();
    const builder = new Builder(
      { store, runner, cacheDir: paths.buildCache, tmpDir: paths.tmp, emit },
      {
        contextDir: context.dir,
        dockerfileText: context.dockerfileText,
        ignored: context.ignored,
        tags: req.tags,
        buildArgs: req.buildArgs,
        labels: req.labels,
        target: req.target,
        registryCredentials: req.registryCredentials,
        noCache: req.noCache,
        cacheFrom: req.cacheFrom,
        network: req.network,
        extraHosts: req.extraHosts,
        ...(session ? { secrets: session.secrets, ssh: session.ssh, namedContexts: session.contexts } : {}),
      },
    );
    return await builder.build().catch((err: unknown) => {
      // a Dockerfile that does not parse is the client's fault (Docker: 400)
      throw err instanceof DockerfileParseError ? invalid(err.message) : err;
    });
  } finally {
    await context?.dispose();
  }
}
