// HostConfig.LogConfig as Docker Engine 20.10 reads it: which drivers exist, which options each takes
// (refused at create), and what the options mean (checked at start, "failed to initialize logging driver").
// The supervisor uses the resulting policy to rotate a container's log, so: node built-ins only.

/** How the supervisor keeps one container's output. */
export interface LogPolicy {
  driver: 'json-file' | 'local' | 'none';
  /** rotate once the current file reaches this many bytes; undefined: never */
  maxSize?: number;
  /** files kept, the current one included (at least 1) */
  maxFile: number;
  /** gzip the rotated files */
  compress: boolean;
}

export const LOG_DRIVERS = ['json-file', 'local', 'none'] as const;

/** The options each driver accepts at create (Docker's ValidateLogOpt); none accepts any through the API. */
const DRIVER_OPTIONS: Record<string, string[]> = {
  'json-file': ['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'],
  local: ['max-file', 'max-size', 'compress'],
};

/** The log file's rotated copies: `<file>.1` is the newest; with compression `<file>.1.gz`. */
export const rotatedName = (file: string, n: number, compressed: boolean) => `${file}.${n}${compressed ? '.gz' : ''}`;

/** Docker's units.FromHumanSize (decimal units) for json-file, RAMInBytes (binary) for local: both read
 *  "10k", "1.5M", "20mb"; a negative or unparsable size is invalid. */
export function parseSize(value: string, binary: boolean): number {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(value);
  if (!m) throw new Error(`invalid size: '${value}'`);
  const base = binary ? 1024 : 1000;
  const power = m[2] ? 'kmgtp'.indexOf(m[2].toLowerCase()) + 1 : 0;
  return Math.floor(Number(m[1]) * base ** power);
}

/** Go's strconv.ParseBool. */
function parseBool(value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new Error(`strconv.ParseBool: parsing "${value}": invalid syntax`);
}

function parseInt10(value: string): number {
  if (!/^[+-]?\d+$/.test(value)) throw new Error(`strconv.Atoi: parsing "${value}": invalid syntax`);
  return Number(value);
}

/** The create-time check: an unknown driver or an option the driver does not take is refused (Docker's messages). */
export function checkLogConfigAtCreate(type: string, config: Record<string, string>): void {
  if (!(LOG_DRIVERS as readonly string[]).includes(type))
    throw new Error(`error looking up logging plugin ${type}: plugin "${type}" not found`);
  const accepted = DRIVER_OPTIONS[type];
  if (!accepted) return;
  for (const key of Object.keys(config)) {
    if (!accepted.includes(key))
      throw new Error(
        type === 'local' ? `unknown log opt '${key}' for log driver local` : `unknown log opt '${key}' for ${type} log driver`,
      );
  }
}

/** The start-time reading of a driver's options; throws with Docker's message (without its
 *  "failed to initialize logging driver: " prefix) when they do not make sense. */
export function logPolicy(type: string | undefined, config: Record<string, string> = {}): LogPolicy {
  const driver = type || 'json-file';
  if (driver === 'none') return { driver: 'none', maxFile: 1, compress: false };
  if (driver === 'local') {
    // local's defaults: 20 MiB files, 5 of them, compressed (daemon/logger/local)
    let maxSize: number | undefined = 20 * 1024 * 1024;
    if (config['max-size'] !== undefined) {
      maxSize = parseSize(config['max-size'], true);
      if (maxSize < 0) throw new Error('max size should be a positive number');
    }
    const maxFile = config['max-file'] !== undefined ? parseInt10(config['max-file']) : 5;
    if (maxFile < 0) throw new Error('max file count cannot be less than 0');
    const compress = config['compress'] !== undefined ? parseBool(config['compress']) : true;
    if (compress && maxFile <= 1) throw new Error('compression cannot be enabled when max file count is 1');
    return { driver: 'local', maxSize: maxSize || undefined, maxFile: Math.max(maxFile, 1), compress };
  }
  if (driver !== 'json-file') throw new Error(`logging driver "${driver}" not found`);
  let maxSize: number | undefined;
  if (config['max-size'] !== undefined) {
    maxSize = parseSize(config['max-size'], false);
    if (maxSize <= 0) throw new Error('max-size must be a positive number');
  }
  const maxFile = config['max-file'] !== undefined ? parseInt10(config['max-file']) : 1;
  if (maxFile < 1) throw new Error('max-file cannot be less than 1');
  const compress = config['compress'] !== undefined ? parseBool(config['compress']) : false;
  if (compress && (maxFile < 2 || maxSize === undefined))
    throw new Error('compress cannot be true when max-file is less than 2 or max-size is not set');
  // without max-size, json-file never rotates and max-file means nothing
  return { driver: 'json-file', maxSize, maxFile: maxSize === undefined ? 1 : maxFile, compress };
}

/** What the supervisor keeps for a container whose driver is `none`: nothing is readable through logs,
 *  but attach still streams the output as it comes, so a small window of it is kept in one file. */
export const NONE_ATTACH_WINDOW: LogPolicy = { driver: 'none', maxSize: 1024 * 1024, maxFile: 1, compress: false };

/** A policy received from elsewhere (the supervisor's requests): only well-formed values pass. */
export function sanePolicy(p: unknown): LogPolicy | undefined {
  if (typeof p !== 'object' || p === null) return undefined;
  const o = p as Record<string, unknown>;
  if (!(LOG_DRIVERS as readonly unknown[]).includes(o.driver)) return undefined;
  const maxSize = o.maxSize === undefined ? undefined : Number(o.maxSize);
  const maxFile = Number(o.maxFile);
  if (maxSize !== undefined && !(Number.isSafeInteger(maxSize) && maxSize > 0)) return undefined;
  if (!(Number.isSafeInteger(maxFile) && maxFile >= 1 && maxFile <= 10_000)) return undefined;
  return { driver: o.driver as LogPolicy['driver'], maxSize, maxFile, compress: o.compress === true };
}

/** The engine's default json-file options (dockerd's `log-opts` in daemon.json): Docker's stock daemon has none,
 *  so a chatty container's log grows until the disk is full; the bundled engine keeps at most 5 files of 20 MB
 *  per container unless TSCOMPOSE_ENGINE_LOG_OPTS says otherwise ("max-size=100m,max-file=3"; empty: none). */
export function engineLogOpts(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const spec = env.TSCOMPOSE_ENGINE_LOG_OPTS ?? 'max-size=20m,max-file=5';
  const out: Record<string, string> = {};
  for (const pair of spec.split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

/** The engine's defaults merged into a json-file LogConfig that sets no rotation of its own (as dockerd merges its
 *  log-opts at create, so inspect shows them); a container that sets any of max-size, max-file, compress keeps
 *  exactly its own, so that it behaves as on a stock Docker Engine. */
export function withEngineLogOpts(
  lc: { Type: string; Config?: Record<string, string> },
  defaults: Record<string, string> = engineLogOpts(),
): { Type: string; Config: Record<string, string> } {
  const config = lc.Config ?? {};
  const ownRotation = ['max-size', 'max-file', 'compress'].some((k) => k in config);
  if (lc.Type !== 'json-file' || ownRotation) return { Type: lc.Type, Config: config };
  return { Type: lc.Type, Config: { ...defaults, ...config } };
}
