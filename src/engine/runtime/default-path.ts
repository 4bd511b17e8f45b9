// Docker's default PATH (Linux), for images whose config has none: added to the config at a build's FROM, and
// to the environment of containers and build steps.
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export const hasPath = (env: readonly string[] | null | undefined): boolean => (env ?? []).some((e) => e.startsWith('PATH='));

/** `env` with PATH=<the default> appended when it sets no PATH (Docker's setDefaultPath). */
export const withDefaultPath = (env: readonly string[] | null | undefined): string[] =>
  hasPath(env) ? [...(env ?? [])] : [...(env ?? []), `PATH=${DEFAULT_PATH}`];
