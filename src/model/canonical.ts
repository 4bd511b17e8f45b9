// Per-file canonical shapes, applied before files are merged: every short syntax becomes its long
// form and relative paths become absolute against the file's base directory. Values keep docker
// compose's snake_case keys; objects are changed in place so their source positions stay.
import path from 'node:path';
import { isMap, sharePositions, type Plain, type PlainMap } from './located.js';
import { problemAt, type KeyPath } from './problems.js';
import { NormalizeError } from './normalize/error.js';
import { normalizeDuration, parseDuration } from './normalize/duration.js';
import { parseBytes } from './normalize/bytes.js';
import { splitShellWords } from './normalize/command.js';
import { parsePortEntry } from './normalize/ports.js';
import { parseVolumeEntry, resolveHostPath } from './normalize/volumes.js';
import { isFalse, isTrue, listOrMapToMap } from './normalize/mappings.js';

export interface CanonicalContext {
  root: PlainMap; // the whole file, for error positions
  baseDir: string; // relative paths resolve against this
}

const isUrlContext = (s: string) =>
  /^(https?:\/\/|git@|github\.com\/|ssh:\/\/|git:\/\/)/.test(s) || s.includes('.git#') || /\.git$/.test(s);

export function canonicalizeFile(root: PlainMap, baseDir: string): void {
  const ctx: CanonicalContext = { root, baseDir };
  const services = root.services;
  if (isMap(services)) {
    for (const [name, svc] of Object.entries(services)) {
      if (isMap(svc)) guard(ctx, ['services', name], () => canonicalizeService(svc, ctx, ['services', name]));
    }
  }
  for (const kind of ['networks', 'volumes', 'secrets', 'configs'] as const) {
    const section = root[kind];
    if (!isMap(section)) continue;
    for (const [key, def] of Object.entries(section)) {
      if (def === null) continue;
      if (isMap(def)) guard(ctx, [kind, key], () => canonicalizeResource(def, ctx, [kind, key]));
    }
  }
}

function guard(ctx: CanonicalContext, at: KeyPath, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof FieldError) throw problemAt(ctx.root, err.path, err.message);
    if (err instanceof NormalizeError) throw problemAt(ctx.root, at, err.message);
    throw err;
  }
}

class FieldError extends Error {
  constructor(
    public readonly path: KeyPath,
    message: string,
  ) {
    super(message);
  }
}

/** `fn(v, ctx, at)`, a NormalizeError it throws reported at `[...at, ...tail]` (the path is made only then). */
function field<T>(
  at: KeyPath,
  tail: (string | number)[],
  fn: (v: Plain, ctx: CanonicalContext, at: KeyPath) => T,
  v: Plain,
  ctx: CanonicalContext,
): T {
  try {
    return fn(v, ctx, at);
  } catch (err) {
    if (err instanceof NormalizeError) throw new FieldError([...at, ...tail], err.message);
    throw err;
  }
}

type ServiceField = (v: Plain, ctx: CanonicalContext, at: KeyPath) => Plain | undefined;

const list = (v: Plain): Plain[] => (Array.isArray(v) ? v : [v]);
const hooks: ServiceField = (v) => (v as Plain[]).map((h) => canonicalHook(h as PlainMap));
const volumeEntry = (v: Plain, ctx: CanonicalContext) => parseVolumeEntry(v, ctx.baseDir);

/** How each service key becomes canonical, in the order they are done (an error in the first key found wins).
 *  One table for every service: a big stack made ~50 closures per service when each was written inline. */
const SERVICE_FIELDS: [string, ServiceField][] = [
  ['build', (v, ctx) => canonicalBuild(v, ctx.baseDir)],
  ['command', (v) => (typeof v === 'string' ? splitShellWords(v) : v)],
  ['entrypoint', (v) => (typeof v === 'string' ? splitShellWords(v) : v)],
  ['environment', (v) => listOrMapToMap(v, true)],
  ['env_file', (v, ctx) => canonicalEnvFiles(v, ctx.baseDir)],
  ['label_file', (v, ctx) => list(v).map((f) => resolveHostPath(String(f), ctx.baseDir))],
  ['labels', (v) => listOrMapToMap(v, false)],
  ['annotations', (v) => listOrMapToMap(v, false)],
  ['sysctls', (v) => listOrMapToMap(v, false)],
  ['extra_hosts', (v) => canonicalExtraHosts(v)],
  ['ports', (v, ctx, at) => (v as Plain[]).flatMap((p, i) => field(at, ['ports', i], parsePortEntry, p, ctx)) as unknown as Plain],
  ['expose', (v) => (v as Plain[]).map(String)],
  ['volumes', (v, ctx, at) => (v as Plain[]).map((x, i) => field(at, ['volumes', i], volumeEntry, x, ctx)) as unknown as Plain],
  ['tmpfs', list],
  ['dns', list],
  ['dns_search', list],
  ['networks', (v) => canonicalServiceNetworks(v)],
  ['depends_on', (v) => canonicalDependsOn(v)],
  ['healthcheck', (v) => canonicalHealthcheck(v as PlainMap)],
  ['stop_grace_period', (v) => normalizeDuration(v as string)],
  ['shm_size', (v) => parseBytes(v as string)],
  ['mem_limit', (v) => parseBytes(v as string)],
  ['mem_reservation', (v) => parseBytes(v as string)],
  ['memswap_limit', (v) => parseBytes(v as string)],
  ['cpus', (v) => Number(v)],
  ['pids_limit', (v) => Number(v)],
  ['scale', (v) => Number(v)],
  ['ulimits', (v) => canonicalUlimits(v as PlainMap)],
  ['secrets', (v) => canonicalFileRefs(v as Plain[])],
  ['configs', (v) => canonicalFileRefs(v as Plain[])],
  ['deploy', (v) => canonicalDeploy(v as PlainMap)],
  [
    'logging',
    (v) => {
      const l = v as PlainMap;
      return l.options ? { ...l, options: listOrMapToMap(l.options, false) } : l;
    },
  ],
  ['develop', (v, ctx) => canonicalDevelop(v as PlainMap, ctx.baseDir)],
  ['devices', (v, ctx, at) => (v as Plain[]).map((d, i) => field(at, ['devices', i], canonicalDevice, d, ctx))],
  ['blkio_config', (v) => canonicalBlkio(v as PlainMap)],
  ['group_add', (v) => (v as Plain[]).map(String)],
  ['storage_opt', (v) => listOrMapToMap(v, false)],
  ['cpu_rt_runtime', (v) => microseconds(v)],
  ['cpu_rt_period', (v) => microseconds(v)],
  ['post_start', hooks],
  ['pre_stop', hooks],
  ['pre_start', hooks],
  [
    'models',
    (v) => {
      if (!Array.isArray(v)) return v;
      const out: PlainMap = {};
      for (const m of v) out[String(m)] = null;
      return out;
    },
  ],
  [
    'extends',
    (v, ctx) => {
      const e: PlainMap = typeof v === 'string' ? { service: v } : { ...(v as PlainMap) };
      if (typeof e.file === 'string') e.file = resolveHostPath(e.file, ctx.baseDir);
      return e;
    },
  ],
];

export function canonicalizeService(svc: PlainMap, ctx: CanonicalContext, at: KeyPath): void {
  for (const [key, canonical] of SERVICE_FIELDS) {
    if (!(key in svc)) continue;
    const before = svc[key]!;
    if (before === null && key !== 'command' && key !== 'entrypoint') continue;
    const v = field(at, [key], canonical, before, ctx);
    keepItemPositions(before, v);
    if (v === undefined) delete svc[key];
    else svc[key] = v;
  }
}

/** "/dev/x", "/dev/x:/dev/y" or "/dev/x:/dev/y:rwm" (or the long form) as { source, target, permissions }. */
function canonicalDevice(d: Plain): PlainMap {
  if (isMap(d)) return { source: String(d.source), target: String(d.target ?? d.source), permissions: String(d.permissions ?? 'rwm') };
  const parts = String(d).split(':');
  if (parts.length > 3 || !parts[0])
    throw new NormalizeError(`invalid device "${String(d)}": expected "host-path[:container-path[:permissions]]"`);
  const [source, target = source, permissions = 'rwm'] = parts as [string, string?, string?];
  if (parts.length === 2 && /^[rwm]+$/.test(target)) return { source, target: source, permissions: target };
  return { source, target, permissions };
}

function canonicalBlkio(b: PlainMap): PlainMap {
  const out: PlainMap = { ...b };
  if (out.weight !== undefined && out.weight !== null) out.weight = Number(out.weight);
  if (Array.isArray(out.weight_device))
    out.weight_device = out.weight_device.map((w) => ({ path: String((w as PlainMap).path), weight: Number((w as PlainMap).weight) }));
  for (const k of ['device_read_bps', 'device_write_bps', 'device_read_iops', 'device_write_iops']) {
    const list = out[k];
    if (!Array.isArray(list)) continue;
    out[k] = list.map((r) => {
      const m = r as PlainMap;
      return { path: String(m.path), rate: k.endsWith('bps') ? parseBytes(m.rate as string) : Number(m.rate) };
    });
  }
  return out;
}

/** cpu_rt_runtime / cpu_rt_period: a number of microseconds, or a duration such as "400ms". */
function microseconds(v: Plain): number {
  if (typeof v === 'number' || /^\d+$/.test(String(v))) return Number(v);
  return Math.round(parseDuration(String(v)) / 1e3);
}

function canonicalHook(h: PlainMap): PlainMap {
  const out: PlainMap = { ...h };
  if (typeof out.command === 'string') out.command = splitShellWords(out.command);
  if (out.environment !== undefined) out.environment = listOrMapToMap(out.environment, false);
  return out;
}

function canonicalBuild(v: Plain, baseDir: string): PlainMap {
  const b: PlainMap = typeof v === 'string' ? { context: v } : { ...(v as PlainMap) };
  // defaults (context ".", dockerfile "Dockerfile") wait until after merging, so an override file
  // that only changes the dockerfile keeps the base file's context
  if (typeof b.context === 'string' && !isUrlContext(b.context)) b.context = resolveHostPath(b.context, baseDir);
  if (b.args !== undefined) b.args = listOrMapToMap(b.args, true);
  if (b.labels !== undefined) b.labels = listOrMapToMap(b.labels, false);
  if (b.extra_hosts !== undefined) b.extra_hosts = canonicalExtraHosts(b.extra_hosts);
  if (b.shm_size !== undefined && b.shm_size !== null) b.shm_size = parseBytes(b.shm_size as string);
  if (typeof b.ssh === 'string') b.ssh = [b.ssh];
  else if (isMap(b.ssh))
    b.ssh = Object.entries(b.ssh).map(([k, x]) => (x === null || x === undefined || x === '' ? k : `${k}=${String(x)}`));
  if (Array.isArray(b.secrets)) b.secrets = canonicalFileRefs(b.secrets as Plain[]);
  if (b.additional_contexts !== undefined) {
    // a directory is resolved like the context itself; docker-image://…, service:… and URLs stay as written
    const named = listOrMapToMap(b.additional_contexts, false) as PlainMap;
    for (const [k, x] of Object.entries(named)) {
      const text = String(x);
      named[k] = text.includes('://') || text.startsWith('service:') || isUrlContext(text) ? text : resolveHostPath(text, baseDir);
    }
    b.additional_contexts = named;
  }
  return b;
}

function canonicalEnvFiles(v: Plain, baseDir: string): Plain {
  const list = Array.isArray(v) ? v : [v];
  return list.map((e) => {
    if (typeof e === 'string') return { path: resolveHostPath(e, baseDir), required: true };
    const m = e as PlainMap;
    const out: PlainMap = { path: resolveHostPath(String(m.path), baseDir), required: !isFalse(m.required) };
    if (m.format !== undefined) out.format = m.format;
    return out;
  });
}

/** extra_hosts as a map host → address(es); a list keeps "host:ip" or "host=ip". */
function canonicalExtraHosts(v: Plain): PlainMap {
  if (isMap(v)) {
    const out: PlainMap = {};
    for (const [k, x] of Object.entries(v)) out[k] = Array.isArray(x) ? x.map(String) : String(x);
    return out;
  }
  const out: PlainMap = {};
  for (const entry of v as Plain[]) {
    const s = String(entry);
    const eq = s.indexOf('=');
    const colon = s.indexOf(':');
    const sep = eq >= 0 ? eq : colon;
    if (sep < 0) throw new NormalizeError(`invalid extra host "${s}": expected "host=address" or "host:address"`);
    const host = s.slice(0, sep);
    const ip = s.slice(sep + 1).replace(/^\[(.*)\]$/, '$1');
    const prev = out[host];
    out[host] = prev === undefined ? ip : Array.isArray(prev) ? [...prev, ip] : [String(prev), ip];
  }
  return out;
}

function canonicalServiceNetworks(v: Plain): PlainMap {
  if (Array.isArray(v)) {
    const out: PlainMap = {};
    for (const n of v) out[String(n)] = null;
    return out;
  }
  const out: PlainMap = {};
  for (const [k, x] of Object.entries(v as PlainMap)) {
    if (!isMap(x)) {
      out[k] = null;
      continue;
    }
    const n: PlainMap = { ...x };
    if (typeof n.aliases === 'string') n.aliases = [n.aliases];
    out[k] = n;
  }
  return out;
}

function canonicalDependsOn(v: Plain): PlainMap {
  const out: PlainMap = {};
  if (Array.isArray(v)) {
    for (const s of v) out[String(s)] = { condition: 'service_started', required: true };
    return out;
  }
  for (const [k, x] of Object.entries(v as PlainMap)) {
    const d = isMap(x) ? x : {};
    const o: PlainMap = { condition: (d.condition as string) ?? 'service_started' };
    if (isTrue(d.restart)) o.restart = true;
    o.required = !isFalse(d.required);
    out[k] = o;
  }
  return out;
}

function canonicalHealthcheck(h: PlainMap): PlainMap {
  const out: PlainMap = { ...h };
  if (typeof out.test === 'string') out.test = ['CMD-SHELL', out.test];
  for (const k of ['interval', 'timeout', 'start_period', 'start_interval']) {
    if (out[k] !== undefined && out[k] !== null) out[k] = normalizeDuration(out[k] as string);
  }
  if (out.retries !== undefined && out.retries !== null) out.retries = Number(out.retries);
  return out;
}

function canonicalUlimits(u: PlainMap): PlainMap {
  const out: PlainMap = {};
  for (const [k, x] of Object.entries(u)) {
    out[k] = isMap(x) ? { soft: Number(x.soft), hard: Number(x.hard) } : { soft: Number(x), hard: Number(x), single: true };
  }
  return out;
}

function canonicalFileRefs(list: Plain[]): Plain {
  return list.map((e) => (typeof e === 'string' ? { source: e } : e));
}

function canonicalDeploy(d: PlainMap): PlainMap {
  const out: PlainMap = { ...d };
  if (out.replicas !== undefined && out.replicas !== null) out.replicas = Number(out.replicas);
  if (out.labels !== undefined) out.labels = listOrMapToMap(out.labels, false);
  const res = out.resources;
  if (isMap(res)) {
    const r: PlainMap = {};
    for (const kind of ['limits', 'reservations']) {
      const src = res[kind];
      if (!isMap(src)) continue;
      const o: PlainMap = { ...src };
      if (o.cpus !== undefined && o.cpus !== null) o.cpus = Number(o.cpus);
      if (o.memory !== undefined && o.memory !== null) o.memory = parseBytes(o.memory as string);
      if (o.pids !== undefined && o.pids !== null) o.pids = Number(o.pids);
      r[kind] = o;
    }
    out.resources = r;
  }
  const rp = out.restart_policy;
  if (isMap(rp)) {
    const o: PlainMap = { ...rp };
    for (const k of ['delay', 'window']) if (o[k] !== undefined && o[k] !== null) o[k] = normalizeDuration(o[k] as string);
    if (o.max_attempts !== undefined) o.max_attempts = Number(o.max_attempts);
    out.restart_policy = o;
  }
  return out;
}

function canonicalDevelop(d: PlainMap, baseDir: string): PlainMap {
  const watch = Array.isArray(d.watch) ? d.watch : [];
  return {
    ...d,
    watch: watch.map((w) => {
      const r = { ...(w as PlainMap) };
      if (typeof r.path === 'string') r.path = resolveHostPath(r.path, baseDir);
      if (typeof r.ignore === 'string') r.ignore = [r.ignore];
      if (typeof r.include === 'string') r.include = [r.include];
      return r;
    }),
  };
}

function canonicalizeResource(def: PlainMap, ctx: CanonicalContext, at: KeyPath): void {
  const [kind] = at;
  if (def.labels !== undefined) def.labels = field(at, ['labels'], (v) => listOrMapToMap(v, false), def.labels, ctx);
  if ((kind === 'secrets' || kind === 'configs') && typeof def.file === 'string') def.file = path.resolve(ctx.baseDir, def.file);
  if (isMap(def.external)) {
    // legacy `external: { name: x }`
    if (def.external.name !== undefined && def.name === undefined) def.name = def.external.name;
    def.external = true;
  }
  if (isMap(def.driver_opts)) {
    const o: PlainMap = {};
    for (const [k, v] of Object.entries(def.driver_opts)) o[k] = String(v);
    def.driver_opts = o;
  }
}

// a list turned into its long form item by item, or a map rewritten key by key, keeps the
// positions (and !reset / !override tags) of its entries
function keepItemPositions(before: Plain, after: Plain | undefined): void {
  const sameList = Array.isArray(before) && Array.isArray(after) && before.length === after.length;
  const sameMap = isMap(before) && isMap(after);
  if ((sameList || sameMap) && after) sharePositions(before as object, after as object);
}
