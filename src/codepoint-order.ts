// Sorting by code point, as Go's sort.Strings orders names in docker compose's output. String#localeCompare
// would also cost ~15 ms on the first call of a command (it sets up an ICU collator), and orders
// punctuation ('-', '_', '.') differently from Go.

/** Compares two strings by UTF-16 code unit, for Array#sort. */
export function byCodepoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
