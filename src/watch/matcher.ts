// Which host paths a watch rule cares about: its `ignore` and `include` patterns (relative to the rule's
// path, gitignore syntax), the build context's .dockerignore, and editors' temporary files. Pure.
import ignore, { type Ignore } from 'ignore';
import path from 'node:path';
import type { WatchRule } from '../model/types.js';
import { relativeToRule } from './path-mapping.js';

/** Files editors and tools write next to the real ones while saving; never worth a sync. */
export const EPHEMERAL_PATTERNS = [
  '.git/',
  '.*.swp',
  '.*.swx',
  '.*.swo',
  '*~',
  '\\#*#',
  '.#*',
  '4913',
  '*___jb_tmp___',
  '*___jb_old___',
  '.DS_Store',
];

/** .dockerignore lines as gitignore patterns: docker anchors every pattern at the context root. */
export function dockerignoreToGitignore(text: string): string[] {
  const patterns: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    if (negated) line = line.slice(1).trim();
    line = line.replace(/^(\.\/)+/, '').replace(/^\/+/, '');
    line = path.posix.normalize(line);
    if (line === '.' || line === '') continue;
    patterns.push(`${negated ? '!' : ''}/${line}`);
  }
  return patterns;
}

export interface DockerignoreScope {
  context: string;
  patterns: string[];
}

export class RuleMatcher {
  private readonly ignored: Ignore;
  private readonly included: Ignore | undefined;
  private readonly dockerignore: { context: string; matcher: Ignore } | undefined;

  constructor(
    private readonly rule: Pick<WatchRule, 'path' | 'ignore' | 'include'>,
    dockerignore?: DockerignoreScope,
  ) {
    this.ignored = ignore().add(EPHEMERAL_PATTERNS).add(rule.ignore);
    this.included = rule.include.length > 0 ? ignore().add(rule.include) : undefined;
    if (dockerignore && dockerignore.patterns.length > 0) {
      this.dockerignore = { context: dockerignore.context, matcher: ignore().add(dockerignore.patterns) };
    }
  }

  /** True when a directory's whole subtree is ignored, so the watcher need not descend into it. */
  prunesDirectory(hostPath: string): boolean {
    const rel = relativeToRule(this.rule.path, hostPath);
    if (rel === undefined) return true;
    if (rel === '') return false;
    return this.isIgnored(rel + '/', hostPath, true);
  }

  /** True when a change to this path should be acted on. */
  accepts(hostPath: string, isDirectory: boolean): boolean {
    const rel = relativeToRule(this.rule.path, hostPath);
    if (rel === undefined) return false;
    if (rel === '') return true;
    if (this.isIgnored(isDirectory ? rel + '/' : rel, hostPath, isDirectory)) return false;
    if (isDirectory || !this.included) return true;
    return this.included.ignores(rel);
  }

  private isIgnored(rel: string, hostPath: string, isDirectory: boolean): boolean {
    if (this.ignored.ignores(rel)) return true;
    if (!this.dockerignore) return false;
    const inContext = relativeToRule(this.dockerignore.context, hostPath);
    if (inContext === undefined || inContext === '') return false;
    return this.dockerignore.matcher.ignores(isDirectory ? inContext + '/' : inContext);
  }
}
