// Watches one service's develop.watch rules and applies each batch of changes to its containers:
// sync (copy + delete), restart, exec, or rebuild.
import chokidar, { type FSWatcher } from 'chokidar';
import type { EngineClient } from '../client/engine-client.js';
import type { Stats } from 'node:fs';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { Project, Service, WatchRule } from '../model/types.js';
import { buildSyncArchive, type SyncEntry } from './archive.js';
import { Batcher } from './batcher.js';
import { ChangeCache } from './change-cache.js';
import { execInContainer, findServiceContainers, putArchive, removeInContainer, type ServiceContainer } from './containers.js';
import { dockerignoreToGitignore, RuleMatcher, type DockerignoreScope } from './matcher.js';
import { containerPathFor, coveredByBindMount, outermostPaths, relativeToRule } from './path-mapping.js';
import { describePaths, syncLine } from './report.js';
import type { ActionEvent, ServiceRebuilder } from './types.js';
import { walkAccepted } from './walk.js';

export interface ServiceWatchContext {
  project: Project;
  service: Service;
  engine: EngineClient;
  rebuilder: ServiceRebuilder;
  log: (line: string) => void;
  emit: (event: ActionEvent) => void;
  prune: boolean;
  debounceMs: number;
  maxWaitMs: number;
  persistent: boolean;
}

interface WatchedRule {
  rule: WatchRule;
  matcher: RuleMatcher;
}
interface Change {
  rule: number;
  hostPath: string;
}

const SYNC_ACTIONS = new Set<WatchRule['action']>(['sync', 'sync+restart', 'sync+exec']);
const RETRIES = 8;

const isDirectory = (p: string) => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const message = (err: unknown) => ((err as Error)?.message ?? String(err)).trim();

/** The build context's .dockerignore (or <Dockerfile>.dockerignore), which watch honours too. */
function readDockerignore(service: Service): DockerignoreScope | undefined {
  const build = service.build;
  if (!build || /^[a-z]+:\/\//i.test(build.context)) return undefined;
  for (const name of [`${build.dockerfile}.dockerignore`, '.dockerignore']) {
    const file = path.join(build.context, name);
    if (existsSync(file)) return { context: build.context, patterns: dockerignoreToGitignore(readFileSync(file, 'utf8')) };
  }
  return undefined;
}

/** What one batch of changes asks for, after filtering and de-duplication. */
interface BatchPlan {
  rebuildBecause: string[];
  copies: SyncEntry[];
  removals: string[]; // container paths
  removedHost: string[];
  restartBecause: string[];
  execRules: WatchRule[];
}

export class ServiceWatch {
  private readonly rules: WatchedRule[];
  private readonly cache = new ChangeCache();
  private readonly batcher: Batcher<Change>;
  private watchers: FSWatcher[] = [];
  private knownContainerIds = '';

  constructor(private readonly ctx: ServiceWatchContext) {
    const dockerignore = readDockerignore(ctx.service);
    const rules = (ctx.service.develop?.watch ?? []).filter((rule) => {
      if (!SYNC_ACTIONS.has(rule.action) || !coveredByBindMount(rule, ctx.service.volumes)) return true;
      ctx.log(`${ctx.service.name}: ${rule.path} is already bind mounted at ${rule.target}; its ${rule.action} rule is not watched`);
      return false;
    });
    this.rules = rules.map((rule) => ({ rule, matcher: new RuleMatcher(rule, dockerignore) }));
    this.batcher = new Batcher<Change>(
      { debounceMs: ctx.debounceMs, maxWaitMs: ctx.maxWaitMs },
      (c) => `${c.rule}\0${c.hostPath}`,
      (changes) => this.applyBatch(changes),
    );
  }

  private get name(): string {
    return this.ctx.service.name;
  }

  /** Starts the watchers; resolves once they are ready and initial syncs are done. */
  async start(): Promise<void> {
    await Promise.all(this.rules.map((watched, index) => this.watchRule(watched, index)));
    await this.initialSync();
  }

  idle(): Promise<void> {
    return this.batcher.idle();
  }

  async close(): Promise<void> {
    await Promise.all(this.watchers.map((w) => w.close()));
    await this.batcher.close();
  }

  private watchRule({ rule, matcher }: WatchedRule, index: number): Promise<void> {
    // a file (or a path that does not exist yet) is watched through its directory, which also survives
    // editors replacing the file by renaming a new one over it
    const root = isDirectory(rule.path) ? rule.path : path.dirname(rule.path);
    const watcher = chokidar.watch(root, {
      ignoreInitial: true,
      persistent: this.ctx.persistent,
      followSymlinks: false,
      atomic: true, // an editor's delete-then-rename save arrives as one change
      ignorePermissionErrors: true,
      ignored: (p: string, stats?: Stats) => {
        if (p === root) return false;
        if (relativeToRule(rule.path, p) === undefined) return true;
        return stats && !stats.isDirectory() ? false : matcher.prunesDirectory(p);
      },
    });
    this.watchers.push(watcher);
    watcher.on('all', (_event, hostPath) => this.batcher.add({ rule: index, hostPath }));
    watcher.on('error', (err) => this.ctx.log(`${this.name}: watcher error on ${rule.path}: ${message(err)}`));
    return new Promise((resolve) => watcher.once('ready', () => resolve()));
  }

  private async initialSync(): Promise<void> {
    for (const { rule, matcher } of this.rules) {
      if (!rule.initialSync || !SYNC_ACTIONS.has(rule.action) || !rule.target) continue;
      const copies: SyncEntry[] = [];
      for (const { hostPath, stat } of await walkAccepted(rule.path, matcher)) {
        const containerPath = containerPathFor(rule, hostPath);
        if (containerPath) copies.push({ hostPath, containerPath, stat });
      }
      if (copies.length === 0) continue;
      const started = performance.now();
      try {
        await this.syncWithRetry(copies, [], undefined);
        this.report(
          'sync',
          copies.map((c) => c.hostPath),
          started,
        );
        this.ctx.log(
          `${this.name}: initial sync of ${copies.length} paths to ${rule.target} in ${Math.round(performance.now() - started)} ms`,
        );
      } catch (err) {
        this.fail(`initial sync to ${rule.target} failed: ${message(err)}`, started);
      }
    }
  }

  private async applyBatch(changes: Change[]): Promise<void> {
    const started = performance.now();
    try {
      const containers = await this.runningContainers(); // first: a recreated container invalidates the change cache
      const plan = await this.planBatch(changes);
      if (plan.rebuildBecause.length) return await this.rebuild(plan.rebuildBecause, started);
      if (plan.copies.length || plan.removals.length) {
        await this.syncWithRetry(plan.copies, plan.removals, containers);
        const copied = plan.copies.filter((c) => !c.stat.isDirectory()).map((c) => c.hostPath);
        const dirs = plan.copies.filter((c) => c.stat.isDirectory()).map((c) => c.hostPath);
        this.ctx.log(syncLine(this.name, copied, plan.removedHost, this.ctx.project.workingDir, performance.now() - started, dirs));
        this.report('sync', [...copied, ...plan.removedHost], started);
      }
      if (plan.restartBecause.length) await this.restart(plan.restartBecause);
      for (const rule of plan.execRules) await this.exec(rule);
    } catch (err) {
      this.fail(`could not apply changes: ${message(err)}`, started);
    }
  }

  /** Sorts a batch into copies, removals, restarts, execs and rebuilds; skips files whose content did not change. */
  private async planBatch(changes: Change[]): Promise<BatchPlan> {
    const plan: BatchPlan = { rebuildBecause: [], copies: [], removals: [], removedHost: [], restartBecause: [], execRules: [] };
    const copies = new Map<string, SyncEntry>();
    const removed = new Map<string, string>(); // container path -> host path
    const restartRules = new Set<number>();
    const execRules = new Set<number>();
    const gone: string[] = [];
    const stats = new Map<string, Stats | undefined>();
    const statOf = async (p: string) => {
      if (!stats.has(p)) stats.set(p, await lstat(p).catch(() => undefined));
      return stats.get(p);
    };

    const handled = new Set<string>(); // rule + path already covered by a directory walk in this batch
    for (const change of changes) {
      const { rule, matcher } = this.rules[change.rule]!;
      if (handled.has(`${change.rule}\0${change.hostPath}`)) continue;
      const stat = await statOf(change.hostPath);
      if (!matcher.accepts(change.hostPath, stat?.isDirectory() ?? false)) continue;
      if (rule.action === 'rebuild') {
        plan.rebuildBecause.push(change.hostPath);
        continue;
      }
      if (!stat) gone.push(change.hostPath);
      let changed = false;
      if (!stat) {
        changed = true;
        const target = containerPathFor(rule, change.hostPath);
        if (target && SYNC_ACTIONS.has(rule.action)) removed.set(target, change.hostPath);
      } else if (stat.isDirectory()) {
        // a new or renamed directory: its contents may never get their own events
        for (const walked of await walkAccepted(change.hostPath, matcher)) {
          handled.add(`${change.rule}\0${walked.hostPath}`);
          if (walked.stat.isDirectory() && this.cache.hasDirectory(walked.hostPath)) continue;
          if (walked.stat.isFile() && (await this.cache.isUnchanged(walked.hostPath, walked.stat))) continue;
          changed = true;
          const target = containerPathFor(rule, walked.hostPath);
          if (target && SYNC_ACTIONS.has(rule.action))
            copies.set(target, { hostPath: walked.hostPath, containerPath: target, stat: walked.stat });
        }
      } else if (!(stat.isFile() && (await this.cache.isUnchanged(change.hostPath, stat)))) {
        changed = true;
        const target = containerPathFor(rule, change.hostPath);
        if (target && SYNC_ACTIONS.has(rule.action)) copies.set(target, { hostPath: change.hostPath, containerPath: target, stat });
      }
      if (!changed) continue;
      if (rule.action === 'restart' || rule.action === 'sync+restart') restartRules.add(change.rule);
      if (rule.action === 'sync+exec') execRules.add(change.rule);
    }

    this.cache.forget(gone);
    plan.copies = [...copies.values()].sort((a, b) => (a.containerPath < b.containerPath ? -1 : 1));
    plan.removals = outermostPaths(removed.keys());
    plan.removedHost = plan.removals.map((p) => removed.get(p)!);
    plan.restartBecause = [...restartRules].map((i) => this.rules[i]!.rule.path);
    plan.execRules = [...execRules].map((i) => this.rules[i]!.rule);
    return plan;
  }

  private async runningContainers(): Promise<ServiceContainer[]> {
    const running = (await findServiceContainers(this.ctx.engine, this.ctx.project.name, this.name)).filter((c) => c.running);
    const ids = running.map((c) => c.id).join(',');
    // a recreated container starts from its image, so what we copied before is gone
    if (ids !== this.knownContainerIds) {
      this.cache.clear();
      this.knownContainerIds = ids;
    }
    return running;
  }

  /** Copies and deletes in every running container of the service, retrying while one restarts. */
  private async syncWithRetry(copies: SyncEntry[], removals: string[], known: ServiceContainer[] | undefined): Promise<void> {
    let containers = known ?? (await this.runningContainers());
    let lastError: unknown;
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      if (attempt > 0) {
        await sleep(Math.min(2000, 100 * 2 ** attempt));
        containers = await this.runningContainers();
        copies = await restat(copies); // a file may have changed again meanwhile
      }
      if (containers.length === 0) {
        lastError = new Error(`no running container for service ${this.name}`);
        continue;
      }
      try {
        for (const container of containers) {
          if (removals.length) await removeInContainer(this.ctx.engine, container.id, removals);
          if (copies.length) {
            const archive = buildSyncArchive(copies);
            const [, hashes] = await Promise.all([putArchive(this.ctx.engine, container.id, archive.stream), archive.written]);
            for (const c of copies) {
              if (c.stat.isFile()) this.cache.record(c.hostPath, c.stat, hashes.get(c.hostPath));
              else if (c.stat.isDirectory()) this.cache.recordDirectory(c.hostPath);
            }
          }
        }
        return;
      } catch (err) {
        lastError = err;
      }
    }
    for (const c of copies) this.cache.forget([c.hostPath]);
    throw lastError;
  }

  private async restart(because: string[]): Promise<void> {
    const started = performance.now();
    const containers = await this.runningContainers();
    const grace = this.ctx.service.stopGracePeriod ? parseDurationSeconds(this.ctx.service.stopGracePeriod) : 10;
    await Promise.all(containers.map((c) => this.ctx.engine.restartContainer(c.id, grace)));
    await this.runningContainers();
    this.ctx.log(`${this.name}: restarted ${containers.map((c) => c.name).join(', ')} in ${Math.round(performance.now() - started)} ms`);
    this.report('restart', because, started);
  }

  private async exec(rule: WatchRule): Promise<void> {
    if (!rule.exec) return;
    const started = performance.now();
    const env = Object.entries(rule.exec.environment).map(([k, v]) => `${k}=${v}`);
    for (const container of await this.runningContainers()) {
      const { exitCode, output } = await execInContainer(this.ctx.engine, container.id, {
        command: rule.exec.command,
        user: rule.exec.user,
        privileged: rule.exec.privileged,
        workingDir: rule.exec.workingDir,
        env,
      });
      const tail = output.trim() ? `: ${output.trim().split('\n').slice(-5).join(' | ')}` : '';
      if (exitCode !== 0) throw new Error(`${rule.exec.command.join(' ')} exited with ${exitCode} in ${container.name}${tail}`);
    }
    this.ctx.log(`${this.name}: ran ${rule.exec.command.join(' ')} in ${Math.round(performance.now() - started)} ms`);
    this.report('exec', [rule.path], started);
  }

  private async rebuild(because: string[], started: number): Promise<void> {
    const before = await findServiceContainers(this.ctx.engine, this.ctx.project.name, this.name);
    this.ctx.log(`${this.name}: rebuilding (${describePaths(because, this.ctx.project.workingDir)} changed)`);
    try {
      await this.ctx.rebuilder.rebuild(this.ctx.project, this.name);
    } catch (err) {
      this.fail(`rebuild failed, the running container was kept: ${message(err)}`, started);
      return;
    }
    this.cache.clear();
    this.ctx.log(`${this.name}: rebuilt and recreated in ${Math.round(performance.now() - started)} ms`);
    this.report('rebuild', because, started);
    if (this.ctx.prune) await this.pruneImages(before.map((c) => c.imageId));
  }

  /** Removes the images the service used before a rebuild when nothing refers to them any more. */
  private async pruneImages(imageIds: string[]): Promise<void> {
    const inUse = new Set((await this.ctx.engine.listContainers({ all: true })).map((c) => c.ImageID));
    for (const id of new Set(imageIds)) {
      if (inUse.has(id)) continue;
      const info = await this.ctx.engine.inspectImage(id).catch(() => undefined);
      if (!info || (info.RepoTags ?? []).some((t) => t !== '<none>:<none>')) continue;
      await this.ctx.engine.removeImage(id).then(
        () => this.ctx.log(`${this.name}: pruned image ${id.replace(/^sha256:/, '').slice(0, 12)}`),
        () => undefined,
      );
    }
  }

  private report(kind: ActionEvent['kind'], paths: string[], started: number): void {
    this.ctx.emit({ service: this.name, kind, paths, durationMs: performance.now() - started });
  }

  private fail(text: string, started: number): void {
    this.ctx.log(`${this.name}: ${text}`);
    this.ctx.emit({ service: this.name, kind: 'error', paths: [], durationMs: performance.now() - started, message: text });
  }
}

/** The entries with fresh lstat results; paths that disappeared are left to their own unlink event. */
async function restat(entries: SyncEntry[]): Promise<SyncEntry[]> {
  const fresh: SyncEntry[] = [];
  for (const entry of entries) {
    const stat = await lstat(entry.hostPath).catch(() => undefined);
    if (stat) fresh.push({ ...entry, stat });
  }
  return fresh;
}

/** "1m30s" / "10s" / "500ms" → whole seconds (docker's restart timeout unit). */
export function parseDurationSeconds(duration: string): number {
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)/g)) {
    const value = Number(n);
    total += unit === 'h' ? value * 3600 : unit === 'm' ? value * 60 : unit === 's' ? value : unit === 'ms' ? value / 1000 : 0;
  }
  return Math.ceil(total);
}
