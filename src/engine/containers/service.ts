// The container supervisor on the engine side: create, start, stop, kill, restart, pause, remove, wait,
// list, inspect, rename, top — state persisted per container and re-adopted after an engine restart.
import { phaseTimer } from './trace.js';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { constants as osc } from 'node:os';
import type { ContainerManagement, EngineContext, ImageService, NetworkService, VolumeService, WaitCondition } from '../contracts.js';
import { conflict, internal, invalid, notFound } from '../errors.js';
import type { OciRuntime } from '../runtime/oci-runtime.js';
import { mountsUnder, unmount, withOverlayMounted, withReadOnlyOverlay } from '../runtime/overlay.js';
import { containerOomKills, removeContainerCgroup } from '../runtime/cgroups.js';
import { normalizeLinks } from './links.js';
import { withEngineLogOpts } from './log-config.js';
import { checkRuntimeAndLogDriver, containerName, defaultHostConfig, effectiveConfig } from './create-config.js';
import { containerLayout, containerOverlay } from './layout.js';
import { CONTAINER_RECORD_VERSION, ContainerStore, initialState, setState, type ContainerRecord } from './record.js';
import { startContainer } from './start.js';
import { resolveMountsAtCreate, withMountsBound } from './created-mounts.js';
import { checkSecurityAtCreate } from './security.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from '../runtime/spec.js';
import type { ExitRecord } from './supervisor.js';
import { readExitRecord, SupervisorClient } from './supervisor-client.js';
import { shouldRestart } from './restart-policy.js';
import { logFailure, type Logger } from '../log.js';
import { KeyedMutex } from '../mutex.js';
import { HealthMonitor } from './health.js';
import { ExitSignals } from './exit-signals.js';
import { RestartScheduler } from './restart-scheduler.js';
import { StdinRelay } from './stdin-relay.js';
import { RESTART_POLICIES, updatableResources, updatedHostConfig } from './update.js';
import { topProcesses } from './top.js';
import { connectContainer, disconnectContainer } from './network-membership.js';
import type { EndpointConfig } from './docker-config.js';

export interface ContainerServiceDeps {
  ctx: EngineContext;
  images: ImageService;
  networks: NetworkService;
  volumes: VolumeService;
  runtime: OciRuntime;
}

export type { WaitCondition };

export class ContainerService implements ContainerManagement {
  readonly store: ContainerStore;
  private readonly supervisor: SupervisorClient;
  private readonly health: HealthMonitor;
  private readonly stdin: StdinRelay;
  /** exit handlers of containers being started right now */
  private readonly starting = new Map<string, (r: ExitRecord) => void>();
  private lossHandling?: Promise<void>;
  private lossAgain = false;
  private closing = false;
  private readonly signals = new ExitSignals();
  /** one lifecycle operation at a time per container */
  private readonly lifecycle = new KeyedMutex();
  private readonly restarts = new RestartScheduler();
  private readonly cleanups = new Set<Promise<void>>();
  /** runs being released in the background (releaseRun), by container */
  private readonly releasing = new Map<string, Promise<void>>();
  private readonly log: Logger;

  constructor(private readonly deps: ContainerServiceDeps) {
    this.log = deps.ctx.log.child({ component: 'containers' });
    this.store = new ContainerStore(deps.ctx.paths.containers, (id, err) =>
      this.log.error('a container record cannot be read; the container is left on disk as it is', { container: id, error: err.message }),
    );
    this.supervisor = new SupervisorClient(
      deps.ctx.paths.root,
      deps.runtime.binary,
      path.join(deps.ctx.paths.root, 'supervisor.log'),
      (id, r) => {
        const h = this.starting.get(id);
        if (h) h(r);
        else void this.onExit(id, r);
      },
      () => this.supervisorLost(),
    );
    this.health = new HealthMonitor({
      runtime: deps.runtime,
      tmpDir: deps.ctx.paths.tmp,
      save: (rec) => this.store.save(rec),
      publish: (rec, action) => this.publish(rec, action),
    });
    this.stdin = new StdinRelay({ write: (id, data) => this.supervisor.stdin(id, data), end: (id) => this.supervisor.stdinEnd(id) }, (id) =>
      Boolean(this.store.byId.get(id)?.state.running),
    );
  }

  /** The connection to the supervisor broke. Under a reaper, a killed supervisor is started again and adopts
   *  the containers; a supervisor running the runtimes in the foreground took its containers with it. Either
   *  way, the containers the (new) supervisor does not run have ended: record what exit.json says. Losses that
   *  come while one is being handled are handled once more after it. */
  private supervisorLost(): void {
    if (this.lossHandling) {
      this.lossAgain = true;
      return;
    }
    this.lossHandling = (async () => {
      do {
        this.lossAgain = false;
        await this.recordExitsAfterLoss();
      } while (this.lossAgain);
    })().finally(() => {
      this.lossHandling = undefined;
    });
  }

  private async recordExitsAfterLoss(): Promise<void> {
    let alive: Set<string> | undefined;
    // a container is declared gone only when a supervisor says so, or when none can be reached for long: the
    // exit recorded for it kills what is left of it
    for (let attempt = 1; !alive; attempt++) {
      try {
        alive = await this.supervisor.running();
      } catch (err) {
        if (this.closing) return;
        if (attempt >= 3) {
          this.log.error('the container supervisor did not come back: its containers are recorded as exited', {
            error: (err as Error).message,
          });
          alive = new Set();
        } else {
          this.log.warn('the container supervisor did not come back yet; trying again', { error: (err as Error).message });
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
    }
    for (const rec of this.store.all()) {
      if (rec.state.running && !alive.has(rec.id) && !this.starting.has(rec.id))
        await this.onExit(rec.id, await readExitRecord(this.layout(rec.id).dir));
    }
  }

  layout(id: string) {
    return containerLayout(this.store.containerDir(id));
  }

  list(): ContainerRecord[] {
    return this.store.all();
  }

  get(ref: string): ContainerRecord {
    const rec = this.store.find(ref);
    if (!rec) throw notFound(`No such container: ${ref}`);
    return rec;
  }

  private publish(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.deps.ctx.events.publish({
      Type: 'container',
      Action: action,
      Actor: { ID: rec.id, Attributes: { ...(rec.config.Labels ?? {}), image: rec.config.Image, name: rec.name.slice(1), ...extra } },
    });
  }

  /** Loads every container and re-adopts the running ones whose supervisor is still alive. */
  async init(): Promise<void> {
    await this.store.load();
    const running: { containerId: string; pid: number }[] = [];
    const alive = await this.supervisor.running();
    // a filesystem left mounted on the host by an engine that died during `docker cp` (see withRootfs), or the root
    // filesystem of a container that exited meanwhile (runtimes other than runc, see startContainer)
    const inUse = new Set([...alive].map((id) => this.layout(id).rootfs));
    for (const m of await mountsUnder(this.deps.ctx.paths.containers)) if (!inUse.has(m)) await unmount(m);
    for (const rec of this.store.all()) {
      if (rec.state.status === 'removing') {
        await this.finishRemove(rec, false);
        continue;
      }
      if (!rec.state.running && rec.state.status !== 'restarting') continue;
      if (alive.has(rec.id)) {
        running.push({ containerId: rec.id, pid: rec.state.pid });
        this.health.watch(rec, true);
        continue;
      }
      await this.onExit(rec.id, await readExitRecord(this.layout(rec.id).dir));
    }
    // also with nothing running: restore cleans up what a crashed engine left behind
    await this.deps.networks.restore(running);
  }

  /** POST /networks/{id}/connect: at once for a running container, at its next start otherwise. */
  async connectNetwork(networkRef: string, containerRef: string, config: EndpointConfig = {}): Promise<void> {
    await connectContainer(this.recordAccess, this.deps.networks, networkRef, containerRef, config);
  }

  async disconnectNetwork(networkRef: string, containerRef: string): Promise<void> {
    await disconnectContainer(this.recordAccess, this.deps.networks, networkRef, containerRef);
  }

  private readonly recordAccess = { get: (ref: string) => this.get(ref), save: (rec: ContainerRecord) => this.store.save(rec) };

  /** After POST /networks/{id}/connect or disconnect: inspect shows the container's current networks. */
  async refreshNetworkSettings(id: string): Promise<void> {
    const rec = this.store.byId.get(id);
    if (!rec || !this.deps.networks.attachmentOf) return;
    const attachment = await this.deps.networks.attachmentOf(id);
    if (!attachment || !this.store.byId.has(id)) return;
    rec.networkSettings = { ...rec.networkSettings, networks: attachment.networks, ports: attachment.ports };
    await this.store.save(rec);
  }

  async create(body: Record<string, any>, requestedName: string | null): Promise<{ Id: string; Warnings: string[] }> {
    if (!body.Image) throw invalid('Config.Image is required');
    const t = phaseTimer('create', '');
    const name = containerName(requestedName);
    const holder = this.store.find(name);
    if (holder && holder.name === name) {
      throw conflict(
        `Conflict. The container name "${name}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    const image = await this.deps.images.resolve(body.Image);
    if (!image) throw notFound(`No such image: ${body.Image}`);
    t.lap('image');
    const id = randomBytes(32).toString('hex');
    const { config, path, args } = effectiveConfig(body, image.config, id);
    const hostConfig = defaultHostConfig(body.HostConfig);
    if (hostConfig.RestartPolicy?.Name && !RESTART_POLICIES.includes(hostConfig.RestartPolicy.Name)) {
      throw invalid(`invalid restart policy: ${hostConfig.RestartPolicy.Name}`);
    }
    if (hostConfig.AutoRemove && ['always', 'on-failure', 'unless-stopped'].includes(hostConfig.RestartPolicy?.Name ?? '')) {
      throw invalid("can't create 'AutoRemove' container with restart policy");
    }
    checkSecurityAtCreate(hostConfig);
    checkRuntimeAndLogDriver(hostConfig);
    hostConfig.LogConfig = withEngineLogOpts(hostConfig.LogConfig ?? { Type: 'json-file' });
    hostConfig.Links = normalizeLinks(hostConfig.Links, name, (r) => this.store.find(r));
    // Docker records the default masked and read-only paths on the container (inspect shows them)
    if (!hostConfig.Privileged) {
      hostConfig.MaskedPaths ??= [...DEFAULT_MASKED_PATHS];
      hostConfig.ReadonlyPaths ??= [...DEFAULT_READONLY_PATHS];
    }
    const rec: ContainerRecord = {
      version: CONTAINER_RECORD_VERSION,
      id,
      name,
      created: new Date().toISOString(),
      path,
      args,
      imageId: image.id,
      config,
      hostConfig,
      endpointsConfig: body.NetworkingConfig?.EndpointsConfig ?? {},
      state: initialState(),
      restartCount: 0,
      networkSettings: { networks: {}, ports: {} },
      mounts: [],
      layerDirs: image.layerDirs,
    };
    const layout = this.layout(id);
    // synchronous: a few directories and an empty file, faster than trips through the thread pool
    mkdirSync(layout.dir, { recursive: true });
    for (const dir of [layout.upper, layout.work, layout.rootfs, layout.emptyLower]) mkdirSync(dir);
    writeFileSync(layout.log, '');
    try {
      rec.mounts = await resolveMountsAtCreate(rec, layout, this.deps.volumes);
    } catch (err) {
      await this.deps.volumes.release(id, true).catch(() => {});
      rmSync(layout.dir, { recursive: true, force: true });
      throw err;
    }
    await this.store.save(rec);
    t.lap('fs+save');
    t.done();
    this.publish(rec, 'create');
    return { Id: id, Warnings: [] };
  }

  /** Runs `fn` on the container's filesystem (docker cp) one operation at a time with start, whatever state
   *  the container is in: a running container's as it sees it (/proc/<pid>/root, its volumes included), a
   *  stopped one's mounted on the host for the duration (the runtime mounts it in the container's own
   *  mount namespace when it starts; the two must never be mounted at once). */
  async withRootfs<T>(ref: string, fn: (rootfs: string) => Promise<T>): Promise<T> {
    const rec = this.get(ref);
    return this.lifecycle.run(rec.id, async () => {
      if (rec.state.status === 'removing' || !this.store.byId.has(rec.id)) throw conflict(`container ${rec.id} is marked for removal`);
      if (rec.state.running) return fn(`/proc/${rec.state.pid}/root`);
      const rootfs = this.layout(rec.id).rootfs;
      return withOverlayMounted(containerOverlay(this.layout(rec.id), rec.layerDirs), () =>
        withMountsBound(rootfs, rec.mounts, () => fn(rootfs)),
      );
    });
  }

  /** @param byPolicy the restart policy starts it again (otherwise a client does, and as Docker then the policy's
   *  count of restarts starts again from zero) */
  async start(ref: string, byPolicy = false): Promise<'started' | 'already'> {
    const rec = this.get(ref);
    return this.lifecycle.run(rec.id, async () => {
      if (rec.state.running) return 'already';
      if (rec.state.status === 'removing') throw conflict(`container ${rec.id} is marked for removal and cannot be started`);
      const t = phaseTimer('start-svc', rec.id);
      const layout = this.layout(rec.id);
      this.restarts.cancel(rec.id);
      // the previous run's runtime state would block `runc run`: released in the background after its exit, or
      // left by a run whose supervisor died (host reboot, crash)
      await this.released(rec.id);
      if (existsSync(path.join(this.deps.runtime.stateRoot, rec.id)))
        await this.deps.runtime
          .delete(rec.id, true)
          .catch(logFailure(this.log, 'deleting the runtime state a crashed run left', { container: rec.id }));
      rec.manualStop = false;
      if (!byPolicy) rec.restartCount = 0;
      // A short-lived container can exit before start() has recorded it as running: hold that exit until then.
      let heldExit: { r: ExitRecord } | undefined;
      this.starting.set(rec.id, (r) => {
        heldExit = { r };
      });
      try {
        const started = await startContainer(rec, layout, {
          runtime: this.deps.runtime,
          supervisor: this.supervisor,
          networks: this.deps.networks,
          volumes: this.deps.volumes,
          containerPid: (r) => {
            const c = this.store.find(r);
            return c?.state.running ? c.state.pid : undefined;
          },
          container: (r) => this.store.find(r),
        });
        t.lap('startContainer');
        setState(rec, {
          status: 'running',
          running: true,
          paused: false,
          restarting: false,
          oomKilled: false,
          dead: false,
          pid: started.pid,
          exitCode: 0,
          error: '',
          startedAt: new Date().toISOString(),
        });
        rec.runtimePid = started.runtimePid;
        rec.networkSettings = {
          networks: started.attachment.networks,
          ports: started.attachment.ports,
          sandboxKey: started.attachment.netnsPath ?? `/proc/${started.pid}/ns/net`,
        };
        rec.mounts = started.mounts;
        this.health.watch(rec);
        await this.store.save(rec);
        t.lap('save');
        t.done();
        this.publish(rec, 'start');
        this.starting.delete(rec.id);
        this.stdin.started(rec.id);
        if (heldExit) void this.onExit(rec.id, heldExit.r);
        return 'started';
      } catch (err) {
        this.starting.delete(rec.id);
        rec.state.error = (err as Error).message;
        if (heldExit?.r) setState(rec, { exitCode: heldExit.r.exitCode, finishedAt: heldExit.r.finishedAt });
        if (/executable file not found|no such file/.test(rec.state.error)) rec.state.exitCode = 127;
        else if (/permission denied/.test(rec.state.error)) rec.state.exitCode = 126;
        // a runtime that died half-way (runc init killed by a low pids limit) may have left its cgroup
        await Promise.all([this.releaseRun(rec.id, 'the failed start'), this.unmountRootfs(rec.id)]);
        await this.store.save(rec).catch(logFailure(this.log, 'saving the failed start', { container: rec.id }));
        // as Docker does: a container started with --rm is removed when its start fails, so that a client
        // waiting for its removal (docker run --rm) returns instead of waiting forever
        if (rec.hostConfig.AutoRemove)
          await this.remove(rec.id, { force: true, volumes: true }).catch(
            logFailure(this.log, 'removing the auto-remove container whose start failed', { container: rec.id }),
          );
        throw err;
      }
    });
  }

  /** What one run holds on the host once its process is gone, whether it exited or never started: the runtime's
   *  state (a container run detached, `runc run -d` under the reaper, leaves it, and the cgroup the runtime made,
   *  to `runc delete`; --force: a container whose reaper died can still be running, unsupervised) and the engine's
   *  cgroup. It runs in the background, off the path of the exit's notice (a runtime process starts, ~10 ms): the
   *  next start and the removal wait for it (`released`). */
  private releaseRun(id: string, which: string): Promise<void> {
    const previous = this.released(id);
    const release = previous.then(async () => {
      if (existsSync(path.join(this.deps.runtime.stateRoot, id)))
        await this.deps.runtime.delete(id, true).catch(logFailure(this.log, `deleting the runtime state of ${which}`, { container: id }));
      await removeContainerCgroup(id).catch(logFailure(this.log, `removing the cgroup of ${which}`, { container: id }));
    });
    const tracked: Promise<void> = release.finally(() => {
      if (this.releasing.get(id) === tracked) this.releasing.delete(id);
    });
    this.releasing.set(id, tracked);
    return tracked;
  }

  /** The rootfs the engine mounted for a runtime that does not mount it itself: mounted exactly while the container runs. */
  private async unmountRootfs(id: string): Promise<void> {
    if (!this.deps.runtime.mountsRootOverlay) await unmount(this.layout(id).rootfs);
  }

  /** Resolves once the container's previous run is released (releaseRun). */
  private released(id: string): Promise<void> {
    return this.releasing.get(id) ?? Promise.resolve();
  }

  private async onExit(id: string, r: ExitRecord | undefined): Promise<void> {
    const rec = this.store.byId.get(id);
    if (!rec) return;
    const wasRunning = rec.state.running;
    this.health.unwatch(id);
    const exitCode = r?.exitCode ?? 255;
    const t = phaseTimer('exit', id);
    const ranMs = Date.now() - Date.parse(rec.state.startedAt);
    // cgroup v2: the kernel's count of OOM kills in the container's cgroup; v1: the runtime removed that count
    // with the cgroup, so a SIGKILL the engine did not send to a memory-limited container counts as one
    const oomKills = await containerOomKills(id);
    // as Docker: the container is "restarting" before its die event goes out and before anything reading its end
    // (logs -f, attach, wait) is told, so that a client that then inspects it knows it comes back
    const willRestart = !rec.hostConfig.AutoRemove && shouldRestart(rec, exitCode);
    setState(rec, {
      status: willRestart ? 'restarting' : 'exited',
      running: false,
      paused: false,
      restarting: willRestart,
      pid: 0,
      exitCode: exitCode,
      finishedAt: r?.finishedAt ?? new Date().toISOString(),
      oomKilled: oomKills !== undefined ? oomKills > 0 : exitCode === 137 && Number(rec.hostConfig.Memory) > 0 && !rec.killedByEngine,
    });
    if (!r && !rec.state.error) rec.state.error = 'the container supervisor exited unexpectedly';
    rec.killedByEngine = false;
    await Promise.all([
      this.deps.networks.detach(id).catch(logFailure(this.log, 'detaching the exited container from its networks', { container: id })),
      this.unmountRootfs(id),
    ]);
    t.lap('detach');
    // an auto-removed container is not saved: removeExited below
    if (!rec.hostConfig.AutoRemove) await this.store.save(rec).catch(logFailure(this.log, 'saving the exit', { container: id }));
    t.lap('save');
    if (wasRunning) this.publish(rec, 'die', { exitCode: String(exitCode) });
    this.signals.exitedWith(id, exitCode);
    // the removal releases what the run holds (finishRemove); otherwise it is released now that the exit is known
    if (rec.hostConfig.AutoRemove) {
      await this.removeExited(rec).catch(logFailure(this.log, 'removing the exited auto-remove container', { container: id }));
      t.lap('remove');
      t.done();
      return;
    }
    void this.releaseRun(id, 'the exited container');
    if (willRestart) {
      this.restarts.schedule(rec, ranMs, () => {
        if (!this.store.byId.has(id) || rec.state.running || rec.manualStop) return;
        rec.restartCount++;
        this.start(id, true).catch((err) => {
          rec.state.restarting = false;
          rec.state.status = 'exited';
          rec.state.error = (err as Error).message;
          void this.store.save(rec).catch(logFailure(this.log, 'saving the failed restart', { container: id }));
        });
      });
    }
  }

  /** Resolves with the exit code once the container is not running anymore. */
  private exited(id: string): Promise<number> {
    return this.signals.notRunning(this.store.byId.get(id));
  }

  nextExit(id: string): Promise<number> {
    return this.signals.nextExit(id);
  }

  /** The exit code the condition ends with; -1 when `closed` (the client left) comes first for 'removed'. */
  async wait(ref: string, condition: WaitCondition, closed?: Promise<void>): Promise<number> {
    const { id } = this.get(ref);
    if (condition === 'removed') return this.signals.nextRemoval(id, closed);
    if (condition === 'next-exit') return this.nextExit(id);
    return this.exited(id);
  }

  private async signal(rec: ContainerRecord, signal: string): Promise<void> {
    const sig = /^\d+$/.test(signal) ? signal : signal.toUpperCase().replace(/^SIG/, '');
    if (!/^\d+$/.test(sig) && !(`SIG${sig}` in osc.signals)) throw invalid(`Invalid signal: ${signal}`);
    if (sig === 'KILL' || sig === '9') rec.killedByEngine = true;
    if (rec.state.pid > 0) {
      try {
        process.kill(rec.state.pid, /^\d+$/.test(sig) ? Number(sig) : (`SIG${sig}` as NodeJS.Signals));
        return;
      } catch {
        /* fall back to the runtime */
      }
    }
    await this.deps.runtime.kill(rec.id, sig);
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const rec = this.get(ref);
    if (!rec.state.running) throw conflict(`Container ${rec.id} is not running`);
    const isKill = ['SIGKILL', 'KILL', '9'].includes(signal.toUpperCase());
    const exited = isKill ? this.exited(rec.id) : undefined;
    await this.signal(rec, signal);
    if (rec.state.paused && isKill)
      await this.deps.runtime
        .resume(rec.id)
        .catch(logFailure(this.log, 'resuming the paused container to deliver the kill', { container: rec.id }));
    this.publish(rec, 'kill', { signal });
    // as Docker: a SIGKILL returns once the container is recorded as exited (137), other signals at once
    if (exited) await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
  }

  /** Docker's stop: the stop signal, then SIGKILL after the timeout. Returns false when it was not running. */
  async stop(ref: string, timeoutSec?: number, signal?: string): Promise<boolean> {
    const rec = this.get(ref);
    // a restart whose start is under way: let it finish (start clears manualStop), then stop what it started
    if (rec.state.restarting && !rec.state.running && !this.restarts.pending(rec.id)) await this.lifecycle.run(rec.id, async () => {});
    rec.manualStop = true;
    // Docker counts a container waiting to be restarted as running: stopping it cancels the restart (204, not 304)
    if (this.restarts.cancel(rec.id)) {
      setState(rec, { status: 'exited', restarting: false });
      await this.store.save(rec);
      this.publish(rec, 'stop');
      return true;
    }
    if (!rec.state.running) return false;
    const exited = this.exited(rec.id);
    const timeout = timeoutSec ?? (rec.config.StopTimeout as number | undefined) ?? 10;
    try {
      await this.signal(rec, signal || rec.config.StopSignal || 'SIGTERM');
    } catch {
      /* already gone */
    }
    if (rec.state.paused)
      await this.deps.runtime.resume(rec.id).catch(logFailure(this.log, 'resuming the paused container to stop it', { container: rec.id }));
    const result =
      timeout < 0
        ? await exited
        : await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeout * 1000))]);
    if (result === 'timeout') {
      await this.signal(rec, 'KILL').catch(logFailure(this.log, 'killing the container after its stop timeout', { container: rec.id }));
      await exited;
    }
    this.publish(rec, 'stop');
    return true;
  }

  async restart(ref: string, timeoutSec?: number, signal?: string): Promise<void> {
    await this.stop(ref, timeoutSec, signal);
    await this.start(ref);
    this.publish(this.get(ref), 'restart');
  }

  /** The container's filesystem as its image layers and its own changes make it, without its mounts, read-only
   *  (docker export). Works whether it runs or not; the container keeps running meanwhile. */
  async withFilesystemView<T>(ref: string, fn: (dir: string) => Promise<T>): Promise<T> {
    const rec = this.get(ref);
    return this.lifecycle.run(rec.id, async () => {
      if (rec.state.status === 'removing' || !this.store.byId.has(rec.id)) throw conflict(`container ${rec.id} is marked for removal`);
      const layout = this.layout(rec.id);
      const lowers = [layout.upper, ...(rec.layerDirs.length ? [...rec.layerDirs].reverse() : [layout.emptyLower])];
      return withReadOnlyOverlay(lowers, path.join(layout.dir, 'view'), () => fn(path.join(layout.dir, 'view')));
    });
  }

  /** POST /containers/{id}/update: new limits and restart policy, applied at once to a running container. */
  async update(ref: string, body: Record<string, any>): Promise<string[]> {
    const rec = this.get(ref);
    return this.lifecycle.run(rec.id, async () => {
      const next = updatedHostConfig(rec.hostConfig, body);
      if (rec.state.running) {
        try {
          await this.deps.runtime.update(rec.id, updatableResources(next));
        } catch (err) {
          throw internal(`Cannot update container ${rec.id}: ${(err as Error).message}`);
        }
      }
      rec.hostConfig = next;
      await this.store.save(rec);
      this.publish(rec, 'update');
      return [];
    });
  }

  async pause(ref: string): Promise<void> {
    const rec = this.get(ref);
    if (!rec.state.running) throw conflict(`Container ${rec.id} is not running`);
    if (rec.state.paused) throw conflict(`Container ${rec.id} is already paused`);
    await this.deps.runtime.pause(rec.id);
    setState(rec, { status: 'paused', paused: true });
    await this.store.save(rec);
    this.publish(rec, 'pause');
  }

  async unpause(ref: string): Promise<void> {
    const rec = this.get(ref);
    if (!rec.state.paused) throw conflict(`Container ${rec.id} is not paused`);
    await this.deps.runtime.resume(rec.id);
    setState(rec, { status: 'running', paused: false });
    await this.store.save(rec);
    this.publish(rec, 'unpause');
  }

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean }): Promise<void> {
    const rec = this.get(ref);
    if ((rec.state.running || rec.state.status === 'restarting') && !opts.force) {
      const state = rec.state.status === 'restarting' ? 'restarting' : rec.state.paused ? 'paused' : 'running';
      const procedure =
        state === 'paused'
          ? 'Unpause and then stop the container before attempting removal or force remove'
          : 'Stop the container before attempting removal or force remove';
      throw conflict(`You cannot remove a ${state} container ${rec.id}. ${procedure}`);
    }
    if (rec.state.status === 'removing') return;
    rec.manualStop = true;
    this.restarts.cancel(rec.id);
    if (rec.state.running) {
      const exited = this.exited(rec.id);
      await this.signal(rec, 'KILL').catch(logFailure(this.log, 'killing the container to remove it', { container: rec.id }));
      if (rec.state.paused)
        await this.deps.runtime
          .resume(rec.id)
          .catch(logFailure(this.log, 'resuming the paused container to remove it', { container: rec.id }));
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
    }
    const t = phaseTimer('remove', rec.id);
    rec.state.status = 'removing';
    await this.store.save(rec).catch(logFailure(this.log, 'saving the removing state', { container: rec.id }));
    t.lap('save');
    await this.finishRemove(rec, Boolean(opts.volumes), t);
    t.done();
  }

  /** An auto-remove container that has exited, removed without first saving it as "removing" (remove() does):
   *  its record on disk still says running and its exit is in exit.json, so an engine killed meanwhile finds
   *  the exit again when it starts (init → onExit) and removes the container then. One rewrite of
   *  container.json less (an ext4 flush, 1–3 ms) before docker run --rm has its answer. */
  private async removeExited(rec: ContainerRecord): Promise<void> {
    if (rec.state.status === 'removing') return;
    rec.manualStop = true;
    this.restarts.cancel(rec.id);
    rec.state.status = 'removing';
    const t = phaseTimer('remove', rec.id);
    await this.finishRemove(rec, true, t);
    t.done();
  }

  private async finishRemove(rec: ContainerRecord, removeVolumes: boolean, t?: ReturnType<typeof phaseTimer>): Promise<void> {
    await Promise.all([
      this.deps.networks
        .detach(rec.id)
        .catch(logFailure(this.log, 'detaching the removed container from its networks', { container: rec.id })),
      this.deps.volumes
        .release(rec.id, removeVolumes)
        .catch(logFailure(this.log, 'releasing the volumes of the removed container', { container: rec.id })),
      removeContainerCgroup(rec.id).catch(logFailure(this.log, 'removing the cgroup of the removed container', { container: rec.id })),
    ]);
    t?.lap('release');
    // Gone for the API from here on. The directory goes in the background, after unmounting what a
    // `docker cp` may still have mounted in it; after a crash container.json still says "removing" and
    // init() finishes the job.
    this.store.forget(rec.id);
    this.publish(rec, 'destroy');
    this.signals.removed(rec.id, rec.state.exitCode);
    t?.lap('signal');
    const dir = this.layout(rec.id).dir;
    // after the last run's release (releaseRun, in the background); the runtime state of a run no release
    // deleted (an auto-removed container, an exit not seen: a crashed engine or reaper) goes here
    const runtimeState = path.join(this.deps.runtime.stateRoot, rec.id);
    // from the next turn of the event loop: the answers to those waiting for the removal (docker run --rm) go first
    const cleanup = new Promise((r) => setImmediate(r))
      .then(() => this.released(rec.id))
      .then(() =>
        existsSync(runtimeState)
          ? this.deps.runtime.delete(rec.id, true).catch(logFailure(this.log, 'deleting the runtime state', { container: rec.id }))
          : undefined,
      )
      .then(() => mountsUnder(dir))
      .then((mounts) => Promise.all(mounts.map(unmount)))
      .then(() => this.store.remove(rec.id))
      .catch(logFailure(this.log, 'removing the container directory', { container: rec.id }));
    this.cleanups.add(cleanup);
    void cleanup.then(() => this.cleanups.delete(cleanup));
  }

  /** Resolves once the filesystems of removed containers and the runs of exited ones are released (engine shutdown waits for it). */
  async drained(): Promise<void> {
    while (this.cleanups.size || this.releasing.size) await Promise.all([...this.cleanups, ...this.releasing.values()]);
  }

  /** DELETE /containers/{parent}/{alias}?link=1: the legacy link goes, both containers stay (as Docker's rmLink). */
  async removeLink(linkName: string): Promise<void> {
    const name = linkName.startsWith('/') ? linkName : `/${linkName}`;
    const parentName = path.posix.dirname(name);
    if (parentName === '/') throw internal('Conflict, cannot remove the default link name of the container');
    const parent = this.store.find(parentName);
    if (!parent || parent.name !== parentName) throw internal(`Cannot get parent ${parentName} for link name ${name}`);
    const links = (parent.hostConfig.Links as string[] | null) ?? [];
    const kept = links.filter((l) => !l.endsWith(`:${name}`));
    if (kept.length === links.length) throw notFound(`No such container: ${linkName}`);
    parent.hostConfig.Links = kept.length ? kept : null;
    await this.store.save(parent);
  }

  async rename(ref: string, newName: string): Promise<void> {
    const rec = this.get(ref);
    const name = containerName(newName);
    const other = this.store.find(name);
    if (other && other.name === name && other.id !== rec.id)
      throw conflict(
        `Conflict. The container name "${name}" is already in use by container "${other.id}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    const oldName = rec.name;
    rec.name = name;
    await this.store.save(rec);
    this.publish(rec, 'rename', { oldName });
  }

  async top(ref: string, psArgs = '-ef'): Promise<{ Titles: string[]; Processes: string[][] }> {
    const rec = this.get(ref);
    if (!rec.state.running) throw conflict(`Container ${rec.id} is not running`);
    return topProcesses(await this.deps.runtime.pids(rec.id), psArgs);
  }

  /** Attach stdin: held until the container runs. */
  sendStdin(id: string, data: Buffer): void {
    this.stdin.write(id, data);
  }
  endStdin(id: string): void {
    this.stdin.end(id);
  }

  /** Sets a running terminal container's window size (a container without a terminal has none to set). */
  resize(ref: string, height: number, width: number): void {
    const rec = this.get(ref);
    if (!rec.state.running) throw conflict(`Container ${rec.id} is not running`);
    if (rec.config.Tty) this.supervisor.resize(rec.id, height, width);
  }

  /** Disconnects from the supervisor (containers keep running; it exits with `stopSupervisor` when none runs) and cancels pending restarts. */
  close(stopSupervisor = false): void {
    this.closing = true;
    this.supervisor.close(stopSupervisor);
    this.health.close();
    this.restarts.close();
  }
}
