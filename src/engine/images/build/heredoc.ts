// Here-documents in RUN and COPY/ADD, with BuildKit's semantics (frontend/dockerfile/dockerfile2llb):
// - `RUN <<EOF` alone: the content is the script, run by the shell (SHELL), or, when it starts with
//   "#!", written to /dev/pipes/EOF (mode 0755) and executed so its interpreter runs it;
// - anything else (`RUN python3 <<EOF`, `RUN <<EOF bash`, several heredocs, `3<<IN`): the command line
//   and the heredocs are put back together and the shell handles the redirections itself;
// - `COPY <<EOF /file`, `COPY <<a <<b /dir/`: inline files named after the heredoc word (mode 0644
//   unless --chmod), their content expanded with the build's variables unless the word was quoted.
import fs from 'node:fs/promises';
import path from 'node:path';
import { chompHeredoc, DockerfileError, expand, type Heredoc, type Instruction, parseHeredocMarker } from './dockerfile.js';

export const HEREDOC_PIPES_DIR = '/dev/pipes';

export interface HeredocRun {
  /** the shell-form command line the shell runs */
  script: string;
  /** a file to mount read-only at /dev/pipes/<name>, mode 0755 (a shebang heredoc) */
  pipeFile?: { name: string; data: string };
}

/** What a shell-form RUN with heredocs runs; undefined when it has none. */
export function heredocRun(instr: Instruction): HeredocRun | undefined {
  const docs = instr.heredocs;
  if (!docs?.length || instr.json) return undefined;
  if (parseHeredocMarker(instr.args.trim())) {
    const doc = docs[0]!;
    const data = doc.chomp ? chompHeredoc(doc.content) : doc.content;
    if (data.startsWith('#!')) {
      if (doc.name.includes('/') || doc.name === '.' || doc.name === '..')
        throw new DockerfileError(`invalid heredoc name for a script: ${doc.name}`);
      return { script: `${HEREDOC_PIPES_DIR}/${doc.name}`, pipeFile: { name: doc.name, data } };
    }
    return { script: data };
  }
  let full = instr.args;
  for (const doc of docs) full += `\n${doc.content}${doc.name}`;
  return { script: full };
}

export interface InlineSource {
  word: string;
  heredoc: Heredoc;
}

/** COPY/ADD sources split into context paths and inline (heredoc) files. */
export function splitHeredocSources(instr: Instruction, sources: string[]): { paths: string[]; inline: InlineSource[] } {
  const paths: string[] = [];
  const inline: InlineSource[] = [];
  for (const word of sources) {
    const marker = parseHeredocMarker(word);
    const doc = marker && instr.heredocs?.find((h) => h.name === marker.name);
    if (doc) inline.push({ word, heredoc: doc });
    else paths.push(word);
  }
  return { paths, inline };
}

/** Writes the inline files into `dir` (content chomped and expanded per BuildKit); returns their names. */
export async function writeInlineFiles(inline: InlineSource[], dir: string, vars: Record<string, string>): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (const { heredoc } of inline) {
    const name = heredoc.name;
    if (!name || name.includes('/') || name === '.' || name === '..') throw new DockerfileError(`invalid heredoc file name: ${name}`);
    let data = heredoc.chomp ? chompHeredoc(heredoc.content) : heredoc.content;
    if (heredoc.expand) data = expand(data, vars, true);
    const file = path.join(dir, name);
    await fs.writeFile(file, data, { mode: 0o644 });
    await fs.chmod(file, 0o644);
    names.push(name);
  }
  return names;
}

/** The read-only mount of a shebang heredoc at /dev/pipes/<name> (mode 0755), and its removal. */
export async function pipeFileMount(
  file: { name: string; data: string },
  tmpDir: string,
): Promise<{ mount: { destination: string; type: string; source: string; options: string[] }; cleanup(): Promise<void> }> {
  await fs.mkdir(tmpDir, { recursive: true });
  const dir = await fs.mkdtemp(path.join(tmpDir, 'heredoc-'));
  const host = path.join(dir, file.name);
  await fs.writeFile(host, file.data, { mode: 0o755 });
  await fs.chmod(host, 0o755);
  return {
    mount: { destination: `${HEREDOC_PIPES_DIR}/${file.name}`, type: 'bind', source: host, options: ['rbind', 'ro'] },
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
}
