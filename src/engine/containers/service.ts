// The container supervisor on the engine side: create, start, stop, kill, restart, pause, remove, wait,
// list, inspect, rename, top — state persisted per container and re-adopted after an engine restart.
import { phaseTimer } from './trace.js';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { constants as osc } from 'node:os';
import { promisify } from 'node:util';
import type { EngineContext, ImageService, NetworkService, VolumeService } from '../contracts.js';
import { conflict, internal, invalid, notFound } from '../errors.js';
import type { OciRuntime } from '../runtime/oci-runtime.js';
import { mountsUnder, unmount, withOverlayMounted, withReadOnlyOverlay } from '../runtime/overlay.js';
import { containerOomKills, removeContainerCgroup } from '../runtime/cgroups.js';
import { normalizeLinks } from './links.js';
import { checkRuntimeAndLogDriver, containerName, defaultHostConfig, effectiveConfig } from './create-config.js';
import { containerLayout, containerOverlay } from './layout.js';
import { ContainerStore, initialState, type ContainerRecord } from './record.js';
import { startContainer } from './start.js';
import { resolveMountsAtCreate, withMountsBound } from './created-mounts.js';
import { checkSecurityAtCreate } from './security.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, linuxResources } from '../runtime/spec.js';
import type { ExitRecord } from './supervisor.js';
import { readExitRecord, SupervisorClient } from './supervisor-client.js';
import { restartDelayMs, shouldRestart } from './restart-policy.js';
import { logFailure, type Logger } from '../log.js';
import { HealthMonitor } from './health.js';

const execFileAsync = promisify(execFile);

export interface ContainerServiceDeps {
  ctx: EngineContext;
  images: ImageService;
  networks: NetworkService;
  volumes: VolumeService;
  runtime: OciRuntime;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** The restart policy names Docker accepts, at create and at update. */
const RESTART_POLICIES = ['', 'no', 'always', 'on-failure', 'unless-stopped'];

export class ContainerService {
  readonly store: ContainerStore;
  private readonly supervisor: SupervisorClient;
  private readonly health: HealthMonitor;
  private readonly pendingStdin = new Map<string, { chunks: Buffer[]; ended: boolean }>();
  /** exit handlers of containers being started right now */
  private readonly starting = new Map<string, (r: ExitRecord) => void>();
  private readonly signals = new EventEmitter();
  private readonly busy = new Map<string, Promise<unknown>>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly cleanups = new Set<Promise<void>>();
  private readonly log: Logger;

  constructor(private readonly deps: ContainerServiceDeps) {
    this.log = deps.ctx.log.child({ component: 'containers' });
    this.store = new ContainerStore(deps.ctx.paths.containers);
    this.signals.setMaxListeners(0);
    this.supervisor = new SupervisorClient(deps.ctx.paths.root, deps.runtime.binary, path.join(deps.ctx.paths.root, 'supervisor.log'),
      (id, r) => { const h = this.starting.get(id); if (h) h(r); else void this.onExit(id, r); },
      () => void this.supervisorLost());
    this.health = new HealthMonitor({
      runtime: deps.runtime, tmpDir: deps.ctx.paths.tmp,
      save: (rec) => this.store.save(rec), publish: (rec, action) => this.publish(rec, action),
    });
  }

  /** The supervisor died: so did the containers' runtimes; record what exit.json says. */
  private async supervisorLost(): Promise<void> {
    for (const rec of this.store.all()) {
      if (rec.State.Running) await this.onExit(rec.Id, await readExitRecord(this.layout(rec.Id).dir));
    }
  }

  layout(id: string) { return containerLayout(this.store.containerDir(id)); }

  get(ref: string): ContainerRecord {
    const rec = this.store.find(ref);
    if (!rec) throw notFound(`No such container: ${ref}`);
    return rec;
  }

  private publish(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.deps.ctx.events.publish({
      Type: 'container', Action: action,
      Actor: { ID: rec.Id, Attributes: { ...(rec.Config.Labels ?? {}), image: rec.Config.Image, name: rec.Name.slice(1), ...extra } },
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
      if (rec.State.Status === 'removing') { await this.finishRemove(rec, false); continue; }
      if (!rec.State.Running && rec.State.Status !== 'restarting') continue;
      if (alive.has(rec.Id)) { running.push({ containerId: rec.Id, pid: rec.State.Pid }); this.health.watch(rec, true); continue; }
      await this.onExit(rec.Id, await readExitRecord(this.layout(rec.Id).dir));
    }
    // also with nothing running: restore cleans up what a crashed engine left behind
    await this.deps.networks.restore(running);
  }

  /** After POST /networks/{id}/connect or disconnect: inspect shows the container's current networks. */
  async refreshNetworkSettings(id: string): Promise<void> {
    const rec = this.store.byId.get(id);
    if (!rec || !this.deps.networks.attachmentOf) return;
    const attachment = await this.deps.networks.attachmentOf(id);
    if (!attachment || !this.store.byId.has(id)) return;
    rec.NetworkSettings = { ...rec.NetworkSettings, Networks: attachment.networks, Ports: attachment.ports };
    await this.store.save(rec);
  }

  async create(body: Record<string, any>, requestedName: string | null): Promise<{ Id: string; Warnings: string[] }> {
    if (!body.Image) throw invalid('Config.Image is required');
    const t = phaseTimer('create', '');
    const name = containerName(requestedName);
    if (this.store.find(name) && this.store.find(name)!.Name === name) {
      throw conflict(`Conflict. The container name "${name}" is already in use by container "${this.store.find(name)!.Id}". You have to remove (or rename) that container to be able to reuse that name.`);
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
    if (hostConfig.AutoRemove && ['always', 'on-failure', 'unless-stopped'].includes(hostConfig.RestartPolicy?.Name)) {
      throw invalid('can\'t create \'AutoRemove\' container with restart policy');
    }
    checkSecurityAtCreate(hostConfig);
    checkRuntimeAndLogDriver(hostConfig);
    hostConfig.Links = normalizeLinks(hostConfig.Links, name, (r) => this.store.find(r));
    // Docker records the default masked and read-only paths on the container (inspect shows them)
    if (!hostConfig.Privileged) {
      hostConfig.MaskedPaths ??= [...DEFAULT_MASKED_PATHS];
      hostConfig.ReadonlyPaths ??= [...DEFAULT_READONLY_PATHS];
    }
    const rec: ContainerRecord = {
      Id: id, Name: name, Created: new Date().toISOString(), Path: path, Args: args, Image: image.id, Config: config,
      HostConfig: hostConfig, NetworkingConfig: body.NetworkingConfig ?? {}, State: initialState(), RestartCount: 0,
      NetworkSettings: { Networks: {}, Ports: {} }, Mounts: [], LayerDirs: image.layerDirs,
    };
    const layout = this.layout(id);
    // synchronous: a few directories and an empty file, faster than trips through the thread pool
    mkdirSync(layout.dir, { recursive: true });
    for (const dir of [layout.upper, layout.work, layout.rootfs, layout.emptyLower]) mkdirSync(dir);
    writeFileSync(layout.log, '');
    try {
      rec.Mounts = await resolveMountsAtCreate(rec, layout, this.deps.volumes);
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

  /** One lifecycle operation at a time per container. */
  private async exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.busy.get(id) ?? Promise.resolve();
    const run = prev.catch(() => {}).then(fn);
    this.busy.set(id, run);
    try { return await run; } finally { if (this.busy.get(id) === run) this.busy.delete(id); }
  }

  /** Runs `fn` on the container's filesystem (docker cp) one operation at a time with start, whatever state
   *  the container is in: a running container's as it sees it (/proc/<pid>/root, its volumes included), a
   *  stopped one's mounted on the host for the duration (the runtime mounts it in the container's own
   *  mount namespace when it starts; the two must never be mounted at once). */
  async withRootfs<T>(ref: string, fn: (rootfs: string) => Promise<T>): Promise<T> {
    const rec = this.get(ref);
    return this.exclusive(rec.Id, async () => {
      if (rec.State.Status === 'removing' || !this.store.byId.has(rec.Id)) throw conflict(`container ${rec.Id} is marked for removal`);
      if (rec.State.Running) return fn(`/proc/${rec.State.Pid}/root`);
      const rootfs = this.layout(rec.Id).rootfs;
      return withOverlayMounted(containerOverlay(this.layout(rec.Id), rec.LayerDirs), () => withMountsBound(rootfs, rec.Mounts, () => fn(rootfs)));
    });
  }

  async start(ref: string): Promise<'started' | 'already'> {
    const rec = this.get(ref);
    return this.exclusive(rec.Id, async () => {
      if (rec.State.Running) return 'already';
      if (rec.State.Status === 'removing') throw conflict(`container ${rec.Id} is marked for removal and cannot be started`);
      const t = phaseTimer('start-svc', rec.Id);
      const layout = this.layout(rec.Id);
      const timer = this.restartTimers.get(rec.Id);
      if (timer) { clearTimeout(timer); this.restartTimers.delete(rec.Id); }
      // runtime state left by a run whose supervisor died (host reboot, crash) would block `runc run`
      if (existsSync(path.join(this.deps.runtime.stateRoot, rec.Id))) await this.deps.runtime.delete(rec.Id, true).catch(logFailure(this.log, 'deleting the runtime state a crashed run left', { container: rec.Id }));
      rec.ManualStop = false;
      // A short-lived container can exit before start() has recorded it as running: hold that exit until then.
      let heldExit: { r: ExitRecord } | undefined;
      this.starting.set(rec.Id, (r) => { heldExit = { r }; });
      try {
        const started = await startContainer(rec, layout, {
          runtime: this.deps.runtime, supervisor: this.supervisor, networks: this.deps.networks, volumes: this.deps.volumes,
          containerPid: (r) => { const c = this.store.find(r); return c?.State.Running ? c.State.Pid : undefined; },
          container: (r) => this.store.find(r),
        });
        t.lap('startContainer');
        Object.assign(rec.State, {
          Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: started.pid,
          ExitCode: 0, Error: '', StartedAt: new Date().toISOString(),
        });
        rec.SupervisorPid = started.runtimePid;
        rec.NetworkSettings = { Networks: started.attachment.networks, Ports: started.attachment.ports, SandboxKey: started.attachment.netnsPath ?? `/proc/${started.pid}/ns/net` };
        rec.Mounts = started.mounts;
        this.health.watch(rec);
        await this.store.save(rec);
        t.lap('save');
        t.done();
        this.publish(rec, 'start');
        this.starting.delete(rec.Id);
        this.flushStdin(rec.Id);
        if (heldExit) void this.onExit(rec.Id, heldExit.r);
        return 'started';
      } catch (err) {
        this.starting.delete(rec.Id);
        rec.State.Error = (err as Error).message;
        if (heldExit?.r) Object.assign(rec.State, { ExitCode: heldExit.r.exitCode, FinishedAt: heldExit.r.finishedAt });
        if (/executable file not found|no such file/.test(rec.State.Error)) rec.State.ExitCode = 127;
        else if (/permission denied/.test(rec.State.Error)) rec.State.ExitCode = 126;
        // a runtime that died half-way (runc init killed by a low pids limit) may have left its cgroup
        await this.releaseRun(rec.Id, 'the failed start');
        await this.store.save(rec).catch(logFailure(this.log, 'saving the failed start', { container: rec.Id }));
        // as Docker does: a container started with --rm is removed when its start fails, so that a client
        // waiting for its removal (docker run --rm) returns instead of waiting forever
        if (rec.HostConfig.AutoRemove) await this.remove(rec.Id, { force: true, volumes: true }).catch(logFailure(this.log, 'removing the auto-remove container whose start failed', { container: rec.Id }));
        throw err;
      }
    });
  }

  /** What one run holds on the host once its process is gone, whether it exited or never started: the container's
   *  cgroup, and the rootfs the engine mounted for a runtime that does not mount it itself. */
  private async releaseRun(id: string, which: string): Promise<void> {
    await Promise.all([
      removeContainerCgroup(id).catch(logFailure(this.log, `removing the cgroup of ${which}`, { container: id })),
      this.deps.runtime.mountsRootOverlay ? undefined : unmount(this.layout(id).rootfs),
    ]);
  }

  private async onExit(id: string, r: ExitRecord | undefined): Promise<void> {
    const rec = this.store.byId.get(id);
    if (!rec) return;
    const wasRunning = rec.State.Running;
    this.health.unwatch(id);
    const exitCode = r?.exitCode ?? 255;
    const t = phaseTimer('exit', id);
    const ranMs = Date.now() - Date.parse(rec.State.StartedAt);
    // cgroup v2: the kernel's count of OOM kills in the container's cgroup; v1: the runtime removed that count
    // with the cgroup, so a SIGKILL the engine did not send to a memory-limited container counts as one
    const oomKills = await containerOomKills(id);
    Object.assign(rec.State, {
      Status: 'exited', Running: false, Paused: false, Restarting: false, Pid: 0, ExitCode: exitCode,
      FinishedAt: r?.finishedAt ?? new Date().toISOString(),
      OOMKilled: oomKills !== undefined ? oomKills > 0 : exitCode === 137 && Number(rec.HostConfig.Memory) > 0 && !rec.KilledByEngine,
    });
    if (!r && !rec.State.Error) rec.State.Error = 'the container supervisor exited unexpectedly';
    rec.KilledByEngine = false;
    await Promise.all([
      this.deps.networks.detach(id).catch(logFailure(this.log, 'detaching the exited container from its networks', { container: id })),
      this.releaseRun(id, 'the exited container'),
    ]);
    t.lap('detach');
    // an auto-removed container is saved once more, as "removing", by remove() below
    if (!rec.HostConfig.AutoRemove) await this.store.save(rec).catch(logFailure(this.log, 'saving the exit', { container: id }));
    t.lap('save');
    if (wasRunning) this.publish(rec, 'die', { exitCode: String(exitCode) });
    this.signals.emit(`exit:${id}`, exitCode);
    if (rec.HostConfig.AutoRemove) { await this.remove(id, { force: true, volumes: true }).catch(logFailure(this.log, 'removing the exited auto-remove container', { container: id })); t.lap('remove'); t.done(); return; }
    if (shouldRestart(rec, exitCode)) {
      rec.State.Status = 'restarting';
      rec.State.Restarting = true;
      await this.store.save(rec).catch(logFailure(this.log, 'saving the restarting state', { container: id }));
      const delay = restartDelayMs(rec.RestartCount, ranMs);
      this.restartTimers.set(id, setTimeout(() => {
        this.restartTimers.delete(id);
        if (!this.store.byId.has(id) || rec.State.Running || rec.ManualStop) return;
        rec.RestartCount++;
        this.start(id).catch((err) => {
          rec.State.Restarting = false;
          rec.State.Status = 'exited';
          rec.State.Error = (err as Error).message;
          void this.store.save(rec).catch(logFailure(this.log, 'saving the failed restart', { container: id }));
        });
      }, delay));
    }
  }

  /** Resolves with the exit code once the container is not running anymore. */
  private exited(id: string): Promise<number> {
    const rec = this.store.byId.get(id);
    if (!rec || (!rec.State.Running && rec.State.Status !== 'restarting')) return Promise.resolve(rec?.State.ExitCode ?? 0);
    return new Promise((resolve) => this.signals.once(`exit:${id}`, resolve));
  }

  nextExit(id: string): Promise<number> {
    return new Promise((resolve) => this.signals.once(`exit:${id}`, resolve));
  }

  async wait(ref: string, condition: WaitCondition, closed?: Promise<void>): Promise<{ StatusCode: number; Error: null | { Message: string } }> {
    const rec = this.get(ref);
    const id = rec.Id;
    let code: number;
    if (condition === 'removed') {
      const removed = new Promise<number>((resolve) => this.signals.once(`removed:${id}`, resolve));
      code = await (closed ? Promise.race([removed, closed.then(() => -1)]) : removed);
    } else if (condition === 'next-exit') {
      code = await this.nextExit(id);
    } else {
      code = await this.exited(id);
    }
    return { StatusCode: code, Error: null };
  }

  private async signal(rec: ContainerRecord, signal: string): Promise<void> {
    const sig = /^\d+$/.test(signal) ? signal : signal.toUpperCase().replace(/^SIG/, '');
    if (!/^\d+$/.test(sig) && !(`SIG${sig}` in osc.signals)) throw invalid(`Invalid signal: ${signal}`);
    if (sig === 'KILL' || sig === '9') rec.KilledByEngine = true;
    if (rec.State.Pid > 0) {
      try { process.kill(rec.State.Pid, /^\d+$/.test(sig) ? Number(sig) : (`SIG${sig}` as NodeJS.Signals)); return; } catch { /* fall back to the runtime */ }
    }
    await this.deps.runtime.kill(rec.Id, sig);
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const rec = this.get(ref);
    if (!rec.State.Running) throw conflict(`Container ${rec.Id} is not running`);
    const isKill = ['SIGKILL', 'KILL', '9'].includes(signal.toUpperCase());
    const exited = isKill ? this.exited(rec.Id) : undefined;
    await this.signal(rec, signal);
    if (rec.State.Paused && isKill) await this.deps.runtime.resume(rec.Id).catch(logFailure(this.log, 'resuming the paused container to deliver the kill', { container: rec.Id }));
    this.publish(rec, 'kill', { signal });
    // as Docker: a SIGKILL returns once the container is recorded as exited (137), other signals at once
    if (exited) await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
  }

  /** Docker's stop: the stop signal, then SIGKILL after the timeout. Returns false when it was not running. */
  async stop(ref: string, timeoutSec?: number, signal?: string): Promise<boolean> {
    const rec = this.get(ref);
    rec.ManualStop = true;
    const timer = this.restartTimers.get(rec.Id);
    if (timer) {
      clearTimeout(timer); this.restartTimers.delete(rec.Id);
      Object.assign(rec.State, { Status: 'exited', Restarting: false });
      await this.store.save(rec);
    }
    if (!rec.State.Running) return false;
    const exited = this.exited(rec.Id);
    const timeout = timeoutSec ?? (rec.Config.StopTimeout as number | undefined) ?? 10;
    try { await this.signal(rec, signal || rec.Config.StopSignal || 'SIGTERM'); } catch { /* already gone */ }
    if (rec.State.Paused) await this.deps.runtime.resume(rec.Id).catch(logFailure(this.log, 'resuming the paused container to stop it', { container: rec.Id }));
    const result = timeout < 0 ? await exited : await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeout * 1000))]);
    if (result === 'timeout') {
      await this.signal(rec, 'KILL').catch(logFailure(this.log, 'killing the container after its stop timeout', { container: rec.Id }));
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
    return this.exclusive(rec.Id, async () => {
      if (rec.State.Status === 'removing' || !this.store.byId.has(rec.Id)) throw conflict(`container ${rec.Id} is marked for removal`);
      const layout = this.layout(rec.Id);
      const lowers = [layout.upper, ...(rec.LayerDirs.length ? [...rec.LayerDirs].reverse() : [layout.emptyLower])];
      return withReadOnlyOverlay(lowers, path.join(layout.dir, 'view'), () => fn(path.join(layout.dir, 'view')));
    });
  }

  /** POST /containers/{id}/update: new limits and restart policy, applied at once to a running container. */
  async update(ref: string, body: Record<string, any>): Promise<string[]> {
    const rec = this.get(ref);
    return this.exclusive(rec.Id, async () => {
      const hc = rec.HostConfig;
      if (body.Memory !== undefined && body.Memory > 0 && body.Memory < 6 * 1024 * 1024) throw invalid('Minimum memory limit allowed is 6MB');
      const restart = body.RestartPolicy as { Name?: string; MaximumRetryCount?: number } | undefined;
      if (restart?.Name && !RESTART_POLICIES.includes(restart.Name)) throw invalid(`invalid restart policy: ${restart.Name}`);
      if (restart?.Name && restart.Name !== 'no' && hc.AutoRemove) throw invalid('Restart policy cannot be updated because AutoRemove is enabled for the container');
      const limits = ['Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'PidsLimit', 'BlkioWeight', 'KernelMemory'];
      const next = { ...hc };
      for (const k of limits) if (body[k] !== undefined && body[k] !== null && body[k] !== '') next[k] = body[k];
      if (restart?.Name !== undefined) next.RestartPolicy = { Name: restart.Name, MaximumRetryCount: restart.MaximumRetryCount ?? 0 };
      if ((next.Memory ?? 0) > 0 && next.MemorySwap > 0 && next.MemorySwap < next.Memory) throw invalid('Minimum memoryswap limit should be larger than memory limit, see usage');
      if (rec.State.Running) {
        const resources = linuxResources({
          memory: next.Memory, memorySwap: next.MemorySwap, nanoCpus: next.NanoCpus, cpuShares: next.CpuShares, cpuQuota: next.CpuQuota,
          cpuPeriod: next.CpuPeriod, cpusetCpus: next.CpusetCpus || undefined, cpusetMems: next.CpusetMems || undefined, pidsLimit: next.PidsLimit ?? undefined,
        });
        delete resources.devices;
        try { await this.deps.runtime.update(rec.Id, resources); } catch (err) { throw internal(`Cannot update container ${rec.Id}: ${(err as Error).message}`); }
      }
      rec.HostConfig = next;
      await this.store.save(rec);
      this.publish(rec, 'update');
      return [];
    });
  }

  async pause(ref: string): Promise<void> {
    const rec = this.get(ref);
    if (!rec.State.Running) throw conflict(`Container ${rec.Id} is not running`);
    if (rec.State.Paused) throw conflict(`Container ${rec.Id} is already paused`);
    await this.deps.runtime.pause(rec.Id);
    Object.assign(rec.State, { Status: 'paused', Paused: true });
    await this.store.save(rec);
    this.publish(rec, 'pause');
  }

  async unpause(ref: string): Promise<void> {
    const rec = this.get(ref);
    if (!rec.State.Paused) throw conflict(`Container ${rec.Id} is not paused`);
    await this.deps.runtime.resume(rec.Id);
    Object.assign(rec.State, { Status: 'running', Paused: false });
    await this.store.save(rec);
    this.publish(rec, 'unpause');
  }

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean }): Promise<void> {
    const rec = this.get(ref);
    if ((rec.State.Running || rec.State.Status === 'restarting') && !opts.force) {
      const state = rec.State.Status === 'restarting' ? 'restarting' : rec.State.Paused ? 'paused' : 'running';
      const procedure = state === 'paused' ? 'Unpause and then stop the container before attempting removal or force remove' : 'Stop the container before attempting removal or force remove';
      throw conflict(`You cannot remove a ${state} container ${rec.Id}. ${procedure}`);
    }
    if (rec.State.Status === 'removing') return;
    rec.ManualStop = true;
    const timer = this.restartTimers.get(rec.Id);
    if (timer) { clearTimeout(timer); this.restartTimers.delete(rec.Id); }
    if (rec.State.Running) {
      const exited = this.exited(rec.Id);
      await this.signal(rec, 'KILL').catch(logFailure(this.log, 'killing the container to remove it', { container: rec.Id }));
      if (rec.State.Paused) await this.deps.runtime.resume(rec.Id).catch(logFailure(this.log, 'resuming the paused container to remove it', { container: rec.Id }));
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
    }
    rec.State.Status = 'removing';
    await this.store.save(rec).catch(logFailure(this.log, 'saving the removing state', { container: rec.Id }));
    await this.finishRemove(rec, Boolean(opts.volumes));
  }

  private async finishRemove(rec: ContainerRecord, removeVolumes: boolean): Promise<void> {
    // `runc run` deletes its container on exit; only a crashed supervisor leaves runtime state behind
    if (existsSync(path.join(this.deps.runtime.stateRoot, rec.Id))) await this.deps.runtime.delete(rec.Id, true).catch(logFailure(this.log, 'deleting the runtime state', { container: rec.Id }));
    await Promise.all([
      this.deps.networks.detach(rec.Id).catch(logFailure(this.log, 'detaching the removed container from its networks', { container: rec.Id })),
      this.deps.volumes.release(rec.Id, removeVolumes).catch(logFailure(this.log, 'releasing the volumes of the removed container', { container: rec.Id })),
      removeContainerCgroup(rec.Id).catch(logFailure(this.log, 'removing the cgroup of the removed container', { container: rec.Id })),
    ]);
    // Gone for the API from here on. The directory goes in the background, after unmounting what a
    // `docker cp` may still have mounted in it; after a crash container.json still says "removing" and
    // init() finishes the job.
    this.store.forget(rec.Id);
    this.publish(rec, 'destroy');
    this.signals.emit(`removed:${rec.Id}`, rec.State.ExitCode);
    const dir = this.layout(rec.Id).dir;
    const cleanup = mountsUnder(dir).then((mounts) => Promise.all(mounts.map(unmount)))
      .then(() => this.store.remove(rec.Id)).catch(logFailure(this.log, 'removing the container directory', { container: rec.Id }));
    this.cleanups.add(cleanup);
    void cleanup.then(() => this.cleanups.delete(cleanup));
  }

  /** Resolves once the filesystems of removed containers are gone (engine shutdown waits for it). */
  async drained(): Promise<void> {
    while (this.cleanups.size) await Promise.all([...this.cleanups]);
  }

  /** DELETE /containers/{parent}/{alias}?link=1: the legacy link goes, both containers stay (as Docker's rmLink). */
  async removeLink(linkName: string): Promise<void> {
    const name = linkName.startsWith('/') ? linkName : `/${linkName}`;
    const parentName = path.posix.dirname(name);
    if (parentName === '/') throw internal('Conflict, cannot remove the default link name of the container');
    const parent = this.store.find(parentName);
    if (!parent || parent.Name !== parentName) throw internal(`Cannot get parent ${parentName} for link name ${name}`);
    const links = (parent.HostConfig.Links as string[] | null) ?? [];
    const kept = links.filter((l) => !l.endsWith(`:${name}`));
    if (kept.length === links.length) throw notFound(`No such container: ${linkName}`);
    parent.HostConfig.Links = kept.length ? kept : null;
    await this.store.save(parent);
  }

  async rename(ref: string, newName: string): Promise<void> {
    const rec = this.get(ref);
    const name = containerName(newName);
    const other = this.store.find(name);
    if (other && other.Name === name && other.Id !== rec.Id) throw conflict(`Conflict. The container name "${name}" is already in use by container "${other.Id}". You have to remove (or rename) that container to be able to reuse that name.`);
    const oldName = rec.Name;
    rec.Name = name;
    await this.store.save(rec);
    this.publish(rec, 'rename', { oldName });
  }

  async top(ref: string, psArgs = '-ef'): Promise<{ Titles: string[]; Processes: string[][] }> {
    const rec = this.get(ref);
    if (!rec.State.Running) throw conflict(`Container ${rec.Id} is not running`);
    const pids = new Set((await this.deps.runtime.pids(rec.Id)).map(String));
    const { stdout } = await execFileAsync('ps', psArgs.split(/\s+/).filter(Boolean));
    const lines = stdout.trimEnd().split('\n');
    const titles = lines[0]!.trim().split(/\s+/);
    const pidCol = titles.indexOf('PID');
    if (pidCol < 0) throw invalid(`Couldn't find PID field in ps output`);
    const processes = lines.slice(1).map((l) => {
      const fields = l.trim().split(/\s+/);
      return [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
    }).filter((f) => pids.has(f[pidCol]!));
    return { Titles: titles, Processes: processes };
  }

  /** Attach stdin: held until the container runs (clients attach and write before they start it). */
  sendStdin(id: string, data: Buffer): void {
    const pending = this.pendingStdin.get(id);
    if (pending || !this.store.byId.get(id)?.State.Running) this.pendingStdinFor(id).chunks.push(data);
    else this.supervisor.stdin(id, data);
  }

  endStdin(id: string): void {
    const pending = this.pendingStdin.get(id);
    if (pending || !this.store.byId.get(id)?.State.Running) this.pendingStdinFor(id).ended = true;
    else this.supervisor.stdinEnd(id);
  }

  private pendingStdinFor(id: string): { chunks: Buffer[]; ended: boolean } {
    let p = this.pendingStdin.get(id);
    if (!p) { p = { chunks: [], ended: false }; this.pendingStdin.set(id, p); }
    return p;
  }

  private flushStdin(id: string): void {
    const p = this.pendingStdin.get(id);
    if (!p) return;
    this.pendingStdin.delete(id);
    for (const c of p.chunks) this.supervisor.stdin(id, c);
    if (p.ended) this.supervisor.stdinEnd(id);
  }

  /** Disconnects from the supervisor (containers keep running; it exits with `stopSupervisor` when none runs) and cancels pending restarts. */
  close(stopSupervisor = false): void {
    this.supervisor.close(stopSupervisor);
    this.health.close();
    for (const t of this.restartTimers.values()) clearTimeout(t);
  }
}
