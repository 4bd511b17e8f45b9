// A terminal's window as clients ask for it (POST /containers/{id}/resize, /exec/{id}/resize, HostConfig's
// ConsoleSize) and as the kernel keeps it (struct winsize: unsigned shorts).

/** Rows or columns a terminal can have. */
export const windowDimension = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0 && (n as number) < 65536;

/** The OCI process's consoleSize for a requested [height, width] (Docker's ConsoleSize), when one is given. */
export function consoleSize(size: unknown): { height: number; width: number } | undefined {
  if (!Array.isArray(size) || size.length !== 2) return undefined;
  const [height, width] = size as unknown[];
  if (!windowDimension(height) || !windowDimension(width) || (height === 0 && width === 0)) return undefined;
  return { height, width };
}
