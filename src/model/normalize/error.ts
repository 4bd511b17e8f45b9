/** A value that cannot be normalized; the caller adds file:line:column and the key path. */
export class NormalizeError extends Error {}
