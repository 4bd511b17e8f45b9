// COPY/ADD flags of the BuildKit syntax that the classic builder lacks: --exclude (dockerignore-style
// patterns, a path is excluded when it or one of its parents matches), --checksum (ADD of a URL), and
// the check that no flag is silently ignored.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { DockerfileError, type Instruction } from './dockerfile.js';

const KNOWN: Record<string, Set<string>> = {
  COPY: new Set(['from', 'chown', 'chmod', 'link', 'exclude']),
  ADD: new Set(['chown', 'chmod', 'link', 'exclude', 'checksum', 'keep-git-dir']),
};

/** Unknown or unsupported flags are errors, as in BuildKit (COPY --parents is not supported here). */
export function checkCopyFlags(instr: Instruction): void {
  for (const [name] of instr.flagList ?? []) {
    if (name === 'parents') throw new DockerfileError(`${instr.keyword} --parents is not supported by the bundled engine's builder`);
    if (!KNOWN[instr.keyword]?.has(name)) throw new DockerfileError(`Dockerfile parse error line ${instr.line}: unknown flag: --${name}`);
  }
}

function patternToRegExp(pattern: string): RegExp {
  const p = pattern.replace(/^\.?\/+/, '').replace(/\/+$/, '');
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    if (ch === '*' && p[i + 1] === '*') {
      i++;
      if (p[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += /[.+^${}()|[\]\\]/.test(ch) ? `\\${ch}` : ch;
  }
  return new RegExp(`^${re}$`);
}

/**
 * A filter for COPY --exclude: true for a path (relative to the source root, or to one of the named
 * source directories) that a pattern matches, itself or through a parent directory.
 */
export function excludeFilter(patterns: string[], sources: string[]): ((rel: string) => boolean) | undefined {
  if (!patterns.length) return undefined;
  const res = patterns.map(patternToRegExp);
  const prefixes = sources.map((s) => s.replace(/^\.?\/+/, '').replace(/\/+$/, '')).filter((s) => s && s !== '.');
  const matches = (rel: string) => {
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) if (res.some((r) => r.test(parts.slice(0, i).join('/')))) return true;
    return false;
  };
  return (rel) => matches(rel) || prefixes.some((p) => rel.startsWith(`${p}/`) && matches(rel.slice(p.length + 1)));
}

/** ADD --checksum=sha256:<hex> of a downloaded file. */
export async function verifyChecksum(file: string, expected: string): Promise<void> {
  const m = /^sha256:([0-9a-f]{64})$/i.exec(expected);
  if (!m) throw new DockerfileError(`invalid --checksum=${expected}: expected sha256:<64 hex digits>`);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const actual = hash.digest('hex');
  if (actual !== m[1]!.toLowerCase())
    throw new DockerfileError(`ADD --checksum: the download has digest sha256:${actual}, not ${expected}`);
}
