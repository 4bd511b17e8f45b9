// One way to report a problem in a stack file: "file:line:column: key.path: what is wrong".
import { UserError, formatLocation, type SourceLocation } from '../errors.js';
import { locate } from './located.js';

export type KeyPath = (string | number)[];

export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

export function problemAt(
  root: unknown,
  path: KeyPath,
  message: string,
  which: 'key' | 'value' = 'value',
  fallbackFile?: string,
): UserError {
  const loc: SourceLocation | undefined = locate(root, path, which);
  const where = loc && loc.file ? `${formatLocation(loc)}: ` : fallbackFile ? `${fallbackFile}: ` : '';
  const key = path.length ? `${formatKeyPath(path)}: ` : '';
  return new UserError(`${where}${key}${message}`);
}
