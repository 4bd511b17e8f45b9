// RUN --mount (BuildKit): cache, bind, tmpfs, secret and ssh mounts for one RUN step, and RUN --network.
// Nothing a mount brings in ends up in the step's layer: mounts are bind/tmpfs mounts of the step's
// container, and mount points the runtime had to create in the upper dir are removed after the step.
// Secrets never reach the cache key, the layer, the history or the build output: only their ids do.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { lookupInLayers } from '../layer-files.js';
import { resolveInRoot, safeComponents, UnsafeLayerError } from '../extract.js';
import { hashTree } from './copy.js';
import { DockerfileError, expand, type Instruction } from './dockerfile.js';
import { mountReadOnly } from './layer-view.js';

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';

export interface RunMountSpec {
  type: MountType;
  target?: string;
  source?: string;
  from?: string;
  readonly?: boolean; // undefined = the type's default
  id?: string;
  sharing: 'shared' | 'private' | 'locked';
  mode?: number;
  uid?: number;
  gid?: number;
  required: boolean;
  env?: string;
  size?: number;
}

export interface RunOptions {
  mounts: RunMountSpec[];
  /** RUN --network: carried for the per-step network namespace (none | host | default) */
  network?: 'none' | 'host' | 'default';
  security?: 'sandbox' | 'insecure';
}

const TYPES = new Set<MountType>(['bind', 'cache', 'tmpfs', 'secret', 'ssh']);

function parseSize(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(v.trim());
  if (!m) throw new DockerfileError(`invalid size for a tmpfs mount: ${v}`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * mult);
}

const truthy = (v: string | undefined) => v === undefined || v === '' || /^(1|true|yes)$/i.test(v);

/** One `--mount=` value: comma-separated key=value (or bare boolean) fields, as BuildKit parses them. */
export function parseMountFlag(value: string): RunMountSpec {
  const spec: RunMountSpec = { type: 'bind', sharing: 'shared', required: false };
  for (const field of value
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const v = eq < 0 ? undefined : field.slice(eq + 1);
    const need = () => {
      if (v === undefined) throw new DockerfileError(`--mount ${key} needs a value: ${value}`);
      return v;
    };
    const num = (what: string) => {
      const n = Number(need());
      if (!Number.isInteger(n) || n < 0) throw new DockerfileError(`invalid --mount ${what}: ${v}`);
      return n;
    };
    switch (key) {
      case 'type': {
        const t = need().toLowerCase() as MountType;
        if (!TYPES.has(t)) throw new DockerfileError(`unsupported mount type "${v}" (bind, cache, tmpfs, secret or ssh)`);
        spec.type = t;
        break;
      }
      case 'target':
      case 'dst':
      case 'destination':
        spec.target = need();
        break;
      case 'source':
      case 'src':
        spec.source = need();
        break;
      case 'from':
        spec.from = need();
        break;
      case 'id':
        spec.id = need();
        break;
      case 'readonly':
      case 'ro':
        spec.readonly = truthy(v);
        break;
      case 'readwrite':
      case 'rw':
        spec.readonly = !truthy(v);
        break;
      case 'sharing': {
        const s = need().toLowerCase();
        if (s !== 'shared' && s !== 'private' && s !== 'locked')
          throw new DockerfileError(`unsupported sharing value "${v}" (shared, private or locked)`);
        spec.sharing = s;
        break;
      }
      case 'mode': {
        const n = parseInt(need(), 8);
        if (Number.isNaN(n) || n < 0 || n > 0o7777) throw new DockerfileError(`invalid --mount mode: ${v}`);
        spec.mode = n;
        break;
      }
      case 'uid':
        spec.uid = num('uid');
        break;
      case 'gid':
        spec.gid = num('gid');
        break;
      case 'required':
        spec.required = truthy(v);
        break;
      case 'env':
        spec.env = need();
        break;
      case 'size':
        spec.size = parseSize(need());
        break;
      default:
        throw new DockerfileError(`unexpected key '${key}' in '${field}' of --mount=${value}`);
    }
  }
  if (spec.type !== 'secret' && spec.type !== 'ssh' && !spec.target)
    throw new DockerfileError(`--mount=${value}: a ${spec.type} mount needs a target`);
  if (spec.type === 'secret' && !spec.id && !spec.target)
    throw new DockerfileError(`--mount=${value}: a secret mount needs an id or a target`);
  return spec;
}

/** RUN's own flags (--mount, --network, --security); variables in them are expanded first. */
export function parseRunOptions(instr: Instruction, vars: Record<string, string>): RunOptions {
  const opts: RunOptions = { mounts: [] };
  for (const [name, raw] of instr.flagList ?? []) {
    const value = expand(raw, vars);
    if (name === 'mount') opts.mounts.push(parseMountFlag(value));
    else if (name === 'network') {
      if (value !== 'none' && value !== 'host' && value !== 'default')
        throw new DockerfileError(`RUN --network=${value}: expected none, host or default`);
      opts.network = value;
    } else if (name === 'security') {
      if (value !== 'sandbox' && value !== 'insecure') throw new DockerfileError(`RUN --security=${value}: expected sandbox or insecure`);
      // BuildKit refuses insecure without the security.insecure entitlement, which the bundled engine never grants
      if (value === 'insecure')
        throw new DockerfileError(
          'RUN --security=insecure is not allowed: the bundled engine does not grant the security.insecure entitlement',
        );
      opts.security = value;
    } else throw new DockerfileError(`Dockerfile parse error line ${instr.line}: unknown flag: --${name}`);
  }
  return opts;
}

export interface OciMountLike {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface MountContext {
  contextDir: string;
  ignored?: (rel: string) => boolean;
  workingDir: string;
  tmpDir: string;
  cacheMountsDir: string;
  /** build secrets by id (from the client, never from the context) */
  secrets: ReadonlyMap<string, Buffer>;
  /** ssh agent sockets by id (the client's SSH_AUTH_SOCK for "default") */
  ssh: ReadonlyMap<string, string>;
  /** a stage or image for `from=`: its layer dirs (bottom first) and a key that identifies its content */
  resolveFrom(from: string): Promise<{ layerDirs: string[]; key: string } | undefined>;
  warn(text: string): void;
}

export interface PreparedMounts {
  mounts: OciMountLike[];
  env: string[]; // secret env= values: for the process only, never in the cache key
  key: string; // what the mounts contribute to the step's cache key (no secret content)
  /** mount points the step's upper dir may have gained because of the mounts */
  destinations: string[];
  release(): Promise<void>;
}

// per cache id, the build steps that hold a locked/private cache mount
const cacheLocks = new Map<string, Promise<void>>();

async function lockCache(id: string): Promise<() => void> {
  while (cacheLocks.has(id)) await cacheLocks.get(id);
  let unlock!: () => void;
  cacheLocks.set(
    id,
    new Promise<void>((r) => {
      unlock = r;
    }),
  );
  return () => {
    cacheLocks.delete(id);
    unlock();
  };
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Where secret files are written for a step: a tmpfs when the host has one at /dev/shm, so they never hit a disk. */
function secretsBase(tmpDir: string): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpDir;
}

export async function prepareMounts(specs: RunMountSpec[], ctx: MountContext): Promise<PreparedMounts> {
  const mounts: OciMountLike[] = [];
  const env: string[] = [];
  const keyParts: string[] = [];
  const destinations: string[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const release = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };
  const scratch = async (prefix: string, base = ctx.tmpDir) => {
    await fs.mkdir(base, { recursive: true });
    const dir = await fs.mkdtemp(path.join(base, `${prefix}-`));
    await fs.chmod(dir, 0o700);
    cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
    return dir;
  };
  const targetOf = (t: string) => path.posix.resolve(ctx.workingDir || '/', t);
  let sshCount = 0;
  try {
    for (const spec of specs) {
      const target = spec.target ? targetOf(spec.target) : undefined;
      switch (spec.type) {
        case 'tmpfs': {
          mounts.push({
            destination: target!,
            type: 'tmpfs',
            source: 'tmpfs',
            options: ['nosuid', 'nodev', 'mode=1777', ...(spec.size ? [`size=${spec.size}`] : [])],
          });
          keyParts.push(`tmpfs:${target}:${spec.size ?? ''}`);
          break;
        }
        case 'cache': {
          const id = spec.id || target!;
          // private: a cache another step holds is not shared, this step gets a fresh one of its own
          const fresh = spec.sharing === 'private' && cacheLocks.has(id);
          const dir = fresh ? path.join(await scratch('cache-private'), 'cache') : path.join(ctx.cacheMountsDir, sha(id));
          await fs.mkdir(ctx.cacheMountsDir, { recursive: true, mode: 0o700 });
          if (!existsSync(dir)) {
            const tmp = `${dir}.${randomBytes(4).toString('hex')}.tmp`;
            await fs.mkdir(tmp);
            // from=: a new cache starts as a copy of a stage's or image's directory (source=, default /)
            if (spec.from) await seedCache(tmp, spec, ctx, scratch);
            await fs.chown(tmp, spec.uid ?? 0, spec.gid ?? 0);
            await fs.chmod(tmp, spec.mode ?? 0o755);
            await fs.rename(tmp, dir).catch(() => fs.rm(tmp, { recursive: true, force: true }));
          }
          // locked: wait for the step that holds the cache
          if (spec.sharing !== 'shared' && !fresh) {
            const unlock = await lockCache(id);
            cleanups.push(async () => unlock());
          }
          mounts.push({ destination: target!, type: 'bind', source: dir, options: ['rbind', spec.readonly ? 'ro' : 'rw'] });
          keyParts.push(`cache:${target}:${sha(id)}:${spec.readonly ? 'ro' : 'rw'}`);
          break;
        }
        case 'bind': {
          const source = spec.source ?? '.';
          let parts: string[];
          try {
            parts = safeComponents(source);
          } catch {
            throw new DockerfileError(`--mount=type=bind: source ${source} is outside the ${spec.from ? 'stage' : 'build context'}`);
          }
          let hostPath: string;
          if (spec.from) {
            const from = await ctx.resolveFrom(spec.from);
            if (!from) throw new DockerfileError(`--mount=type=bind,from=${spec.from}: no such build stage or image`);
            const mnt = await scratch('bind-from');
            const unmount = await mountReadOnly(from.layerDirs, path.join(mnt, 'root'), path.join(mnt, 'empty'));
            cleanups.push(unmount);
            const resolved = await resolveInRoot(path.join(mnt, 'root'), parts).catch((err: Error) => {
              throw new DockerfileError(
                `--mount=type=bind,from=${spec.from},source=${source}: ${err instanceof UnsafeLayerError ? err.message : 'not found'}`,
              );
            });
            if (!existsSync(resolved)) throw new DockerfileError(`--mount=type=bind,from=${spec.from},source=${source}: not found`);
            if (spec.readonly === false) {
              // writes are discarded: the step gets its own copy
              const copy = path.join(await scratch('bind-rw'), 'src');
              await fs.cp(resolved, copy, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
              hostPath = copy;
            } else hostPath = resolved;
            keyParts.push(`bind:${target}:from:${from.key}:${parts.join('/')}:${spec.readonly === false ? 'rw' : 'ro'}`);
          } else {
            // from the build context: a copy without what .dockerignore excludes, its content in the cache key
            const resolved = await resolveInRoot(ctx.contextDir, parts).catch((err: Error) => {
              throw new DockerfileError(
                `--mount=type=bind,source=${source}: ${err instanceof UnsafeLayerError ? err.message : 'not found in the build context'}`,
              );
            });
            const rel = path.relative(ctx.contextDir, resolved).split(path.sep).join('/');
            if (!existsSync(resolved) || (rel && ctx.ignored?.(rel)))
              throw new DockerfileError(
                `--mount=type=bind,source=${source}: not found in the build context (or excluded by .dockerignore)`,
              );
            const dir = await scratch('bind-ctx');
            const copy = path.join(dir, 'src');
            await fs.cp(resolved, copy, {
              recursive: true,
              verbatimSymlinks: true,
              preserveTimestamps: true,
              filter: (src) => {
                const r = path.relative(ctx.contextDir, src).split(path.sep).join('/');
                return !r || r === rel || !ctx.ignored?.(r);
              },
            });
            hostPath = copy;
            keyParts.push(`bind:${target}:context:${await hashTree(dir)}:${spec.readonly === false ? 'rw' : 'ro'}`);
          }
          mounts.push({ destination: target!, type: 'bind', source: hostPath, options: ['rbind', spec.readonly === false ? 'rw' : 'ro'] });
          break;
        }
        case 'secret': {
          const id = spec.id || path.posix.basename(spec.target!);
          const value = ctx.secrets.get(id);
          if (!value) {
            if (spec.required)
              throw new DockerfileError(`secret ${id} not found: pass it with build.secrets (compose) or the engine's build secrets`);
            keyParts.push(`secret:${id}:absent`);
            break;
          }
          if (spec.env) env.push(`${spec.env}=${value.toString('utf8')}`);
          if (spec.target || !spec.env) {
            const dest = spec.target ? target! : `/run/secrets/${id}`;
            const file = path.join(await scratch('tsc-build-secret', secretsBase(ctx.tmpDir)), 'secret');
            await fs.writeFile(file, value, { mode: 0o600 });
            await fs.chown(file, spec.uid ?? 0, spec.gid ?? 0);
            await fs.chmod(file, spec.mode ?? 0o400);
            mounts.push({ destination: dest, type: 'bind', source: file, options: ['rbind', 'ro', 'nosuid', 'nodev', 'noexec'] });
          }
          keyParts.push(`secret:${id}:${spec.target ?? ''}:${spec.env ?? ''}`);
          break;
        }
        case 'ssh': {
          const id = spec.id || 'default';
          const sock = ctx.ssh.get(id);
          const dest = target ?? `/run/buildkit/ssh_agent.${sshCount++}`;
          if (!sock) {
            if (spec.required)
              throw new DockerfileError(`no SSH agent socket for ssh mount id ${id}: set build.ssh (compose) with the agent's socket`);
            keyParts.push(`ssh:${id}:absent`);
            break;
          }
          mounts.push({ destination: dest, type: 'bind', source: sock, options: ['rbind', 'rw'] });
          if (!env.some((e) => e.startsWith('SSH_AUTH_SOCK='))) env.push(`SSH_AUTH_SOCK=${dest}`);
          keyParts.push(`ssh:${id}:${dest}`);
          break;
        }
      }
    }
  } catch (err) {
    await release();
    throw err;
  }
  for (const m of mounts) destinations.push(m.destination);
  return { mounts, env, key: keyParts.join('\n'), destinations, release };
}

async function seedCache(into: string, spec: RunMountSpec, ctx: MountContext, scratch: (prefix: string) => Promise<string>): Promise<void> {
  const from = await ctx.resolveFrom(spec.from!);
  if (!from) throw new DockerfileError(`--mount=type=cache,from=${spec.from}: no such build stage or image`);
  const mnt = await scratch('cache-from');
  const unmount = await mountReadOnly(from.layerDirs, path.join(mnt, 'root'), path.join(mnt, 'empty'));
  try {
    let parts: string[];
    try {
      parts = safeComponents(spec.source ?? '/');
    } catch {
      throw new DockerfileError(`--mount=type=cache,from=${spec.from}: source ${spec.source} is outside the stage`);
    }
    const src = await resolveInRoot(path.join(mnt, 'root'), parts).catch(() => undefined);
    if (!src || !existsSync(src)) throw new DockerfileError(`--mount=type=cache,from=${spec.from},source=${spec.source ?? '/'}: not found`);
    await fs.cp(src, into, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  } finally {
    await unmount();
  }
}

/**
 * Mount points the runtime created in the upper dir for the step's mounts (an empty directory or file
 * that the image below does not have), and their parents that only exist for them, are removed, so a
 * secret's or a cache's mount point never shows up in the layer.
 */
export async function removeMountpoints(upperDir: string, lowerDirs: string[], destinations: string[]): Promise<void> {
  const sorted = [...new Set(destinations)].sort((a, b) => b.length - a.length);
  for (const dest of sorted) {
    let rel = path.posix.normalize(dest).replace(/^\/+/, '');
    while (rel && rel !== '.') {
      if (lookupInLayers(lowerDirs, rel)) break;
      const abs = path.join(upperDir, rel);
      const st = await fs.lstat(abs).catch(() => undefined);
      if (!st) break;
      if (st.isDirectory()) {
        if ((await fs.readdir(abs)).length) break;
        await fs.rmdir(abs);
      } else if (st.isFile() && st.size === 0) await fs.unlink(abs);
      else break;
      rel = path.posix.dirname(rel);
    }
  }
}
