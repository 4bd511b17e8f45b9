// One argument for a POSIX shell command line: single-quoted, embedded single quotes escaped.
export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
