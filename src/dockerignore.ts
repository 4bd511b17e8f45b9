// .dockerignore as Docker reads it (moby/patternmatcher), which is not gitignore: every pattern is anchored at the
// context root ("foo" is ./foo only), "**" spans directories, a pattern that matches a directory excludes what is
// inside it, and a later "!pattern" re-includes, even a file inside an excluded directory. Pure; used by the client
// (the build context it sends) and by the engine's builder (directory contexts). Untrusted text: patterns become
// regular expressions with every metacharacter escaped except the wildcards Docker defines.
import path from 'node:path';

interface Pattern {
  text: string;
  exclusion: boolean;
  regexp: RegExp;
}

const REGEXP_SPECIALS = new Set([...'.+()|{}$^']);

/** Docker's translation of one cleaned pattern into an anchored regular expression. */
function compile(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') i++; // "**/" is "**"
        re += i + 1 >= pattern.length ? '.*' : '(.*/)?';
      } else {
        re += '[^/]*';
      }
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) re += '\\\\';
      else {
        re += /[A-Za-z0-9]/.test(next) ? next : `\\${next}`;
        i++;
      }
    } else if (REGEXP_SPECIALS.has(ch)) {
      re += `\\${ch}`;
    } else {
      re += ch; // letters, '/', and character classes ([a-z]) pass through as in filepath.Match
    }
  }
  try {
    return new RegExp(`${re}$`);
  } catch {
    // an unbalanced class such as "[a-" is an error for Docker; here it matches nothing rather than everything
    return /(?!)/;
  }
}

/** Go's filepath.Clean (a leading ".." stays, as in Go), then, as Docker, without a leading "/". */
function clean(pattern: string): string {
  const cleaned = path.posix.normalize(pattern).replace(/(.)\/$/, '$1');
  return cleaned === '.' ? '' : cleaned.replace(/^\/+/, '');
}

export class DockerignoreMatcher {
  private constructor(private readonly patterns: Pattern[]) {}

  /** The lines of a .dockerignore file: "#" comments and blank lines skipped, "!" for exceptions. */
  static parse(text: string): DockerignoreMatcher {
    const patterns: Pattern[] = [];
    for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
      if (raw.startsWith('#')) continue;
      let line = raw.trim();
      if (line === '') continue;
      const exclusion = line.startsWith('!');
      if (exclusion) line = line.slice(1).trim();
      const text = clean(line);
      if (text === '') continue;
      patterns.push({ text, exclusion, regexp: compile(text) });
    }
    return new DockerignoreMatcher(patterns);
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** Whether `rel` (slash-separated, relative to the context) is left out: the last pattern that matches it or one
   *  of its parent directories decides. */
  excludes(rel: string): boolean {
    const parents = rel.split('/').slice(0, -1);
    let excluded = false;
    for (const p of this.patterns) {
      // an exception only matters once something excluded the path, a pattern only once nothing did
      if (p.exclusion !== excluded) continue;
      let match = p.regexp.test(rel);
      for (let i = 1; !match && i <= parents.length; i++) match = p.regexp.test(parents.slice(0, i).join('/'));
      if (match) excluded = !p.exclusion;
    }
    return excluded;
  }

  /** Whether an excluded directory must still be walked: an exception pattern names something in it. Docker's
   *  client decides by that prefix alone (an exception such as "!**\/keep" does not reach into excluded dirs). */
  mayReincludeUnder(dir: string): boolean {
    return this.patterns.some((p) => p.exclusion && `${p.text}/`.startsWith(`${dir}/`));
  }
}

/** A filter over a context's paths for a walk that skips what it filters out: an excluded directory is still
 *  entered when an exception may bring something in it back. */
export function contextFilter(rules: DockerignoreMatcher): (rel: string) => boolean {
  return (rel) => rel !== '' && rules.excludes(rel) && !rules.mayReincludeUnder(rel);
}
