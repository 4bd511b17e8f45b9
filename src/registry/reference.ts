// Docker image references: "redis" → docker.io/library/redis:latest, "localhost:5000/a/b@sha256:…".

/** A name that is no image reference; the engine answers it as an invalid request (400), as Docker does. */
export class InvalidReferenceError extends Error {}

export const DEFAULT_DOMAIN = 'docker.io';

export interface ImageReference {
  domain: string; // "docker.io", "localhost:5000"
  path: string; // "library/redis"
  tag?: string;
  digest?: string; // "sha256:<hex>"
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Parses and normalizes a reference; a missing tag and digest means ":latest". */
export function parseReference(raw: string): ImageReference {
  const badReference = () =>
    new InvalidReferenceError(
      `invalid reference format: "${raw}" is not a valid image name (expected [registry/]name[:tag][@digest], lowercase)`,
    );
  let rest = raw.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw badReference();
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw badReference();
  }
  const parts = rest.split('/');
  let domain = DEFAULT_DOMAIN;
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!)) domain = parts.shift()!;
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (parts.length === 0 || !parts.every((p) => COMPONENT.test(p))) throw badReference();
  if (domain === DEFAULT_DOMAIN && parts.length === 1) parts.unshift('library');
  if (!tag && !digest) tag = 'latest';
  return { domain, path: parts.join('/'), tag, digest };
}

/** "docker.io/library/redis" */
export const repositoryName = (ref: ImageReference): string => `${ref.domain}/${ref.path}`;

/** The fully qualified form the store keys names by: "docker.io/library/redis:latest" or "…@sha256:…". */
export function canonicalName(ref: ImageReference): string {
  return repositoryName(ref) + (ref.tag ? `:${ref.tag}` : '') + (ref.digest && !ref.tag ? `@${ref.digest}` : '');
}

/** The short form Docker shows: docker.io/library/redis:latest → redis:latest, docker.io/a/b:1 → a/b:1. */
export function familiarName(canonical: string): string {
  if (!canonical.startsWith(`${DEFAULT_DOMAIN}/`)) return canonical;
  const rest = canonical.slice(DEFAULT_DOMAIN.length + 1);
  return rest.startsWith('library/') && !rest.slice(8).includes('/') ? rest.slice(8) : rest;
}

export function isReferenceLike(raw: string): boolean {
  try {
    parseReference(raw);
    return true;
  } catch {
    return false;
  }
}
