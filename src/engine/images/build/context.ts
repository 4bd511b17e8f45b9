// The build context: the request body (a tar, maybe compressed) unpacked safely into a temp dir,
// the Dockerfile read from it, and .dockerignore as a filter.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DockerignoreMatcher, contextFilter } from '../../../dockerignore.js';
import { invalid } from '../../errors.js';
import { decompress } from '../decompress.js';
import { extractLayer, resolveInRoot, safeComponents } from '../extract.js';

export interface BuildContext {
  dir: string;
  dockerfileText: string;
  ignored: (rel: string) => boolean;
  dispose(): Promise<void>;
}

export async function receiveContext(body: Readable, tmpDir: string, dockerfile: string): Promise<BuildContext> {
  await fs.mkdir(tmpDir, { recursive: true });
  const dir = await fs.mkdtemp(path.join(tmpDir, 'build-context-'));
  const dispose = () => fs.rm(dir, { recursive: true, force: true });
  try {
    await extractLayer(Readable.from(decompress(body)), dir, { applyOwnership: false });
    let text: string;
    try {
      text = await fs.readFile(await resolveInRoot(dir, safeComponents(dockerfile)), 'utf8');
    } catch {
      throw invalid(`Cannot locate specified Dockerfile: ${dockerfile}`);
    }
    const rules = DockerignoreMatcher.parse(await fs.readFile(path.join(dir, '.dockerignore'), 'utf8').catch(() => ''));
    return { dir, dockerfileText: text, ignored: contextFilter(rules), dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
