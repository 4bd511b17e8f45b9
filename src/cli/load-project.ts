// A command's project: loaded as the API loads it (src/model/), after the process is made ready for the size
// of its stack files (young-generation.ts), which only the CLI may decide for its process.
import type { LoadOptions, Project } from '../model/types.js';
import { loadProject, projectFiles } from '../model/index.js';
import { sizeYoungGenerationFor } from './young-generation.js';

export async function loadCommandProject(opts: LoadOptions): Promise<Project> {
  let files: string[] = [];
  try {
    files = projectFiles(opts).files;
  } catch {
    /* no stack file: loadProject says so */
  }
  await sizeYoungGenerationFor(files);
  return loadProject(opts);
}
