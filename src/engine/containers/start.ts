// Starting a container: the OCI bundle (config.json with a createRuntime hook that hands the container's
// pid to the engine and waits), the supervisor running `runc run`, then network attach between
// "namespaces exist" and "process starts" — the same order as `runc create` → attach → `runc start`.
import { constants as fsc, existsSync, open as fsOpen } from 'node:fs';
import { mkdir, open, readlink, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { NetworkAttachment, NetworkService, ResolvedMount, VolumeService } from '../contracts.js';
import { buildOciSpec, type NetworkNamespace, type OciMount } from '../runtime/spec.js';
import { resolveUser } from '../runtime/users.js';
import type { OciRuntime } from '../runtime/oci-runtime.js';
import { conflict, EngineError } from '../api/http.js';
import type { ContainerLayout } from './layout.js';
import type { ContainerRecord } from './record.js';
import { inspectMount, mountRequests, toOciMount } from './mounts.js';
import type { SupervisorClient } from './supervisor-client.js';
import { containerPath } from './archive.js';
import { readFile } from 'node:fs/promises';
import { phaseTimer } from './trace.js';

const INIT_BINARY = ['/usr/bin/tini-static', '/usr/bin/docker-init'].find((p) => existsSync(p));

// Opens the hook's go fifo first (so the engine's later write never blocks), hands over the state, waits.
// Exits non-zero (so the runtime aborts the container) unless the engine answers "go".
// The state arrives on stdin without a newline: `read` (a shell builtin, no `cat` process) still gets it.
const HOOK_SCRIPT = 'exec 3<>"$1"; IFS= read -r s; printf \'%s\\n\' "$s" > "$0"; read -r x <&3; [ "$x" = go ]';

export interface StartDeps {
  runtime: OciRuntime;
  supervisor: SupervisorClient;
  networks: NetworkService;
  volumes: VolumeService;
  /** the pid of another container, for network_mode container:<name> */
  containerPid: (ref: string) => number | undefined;
}

export interface Started { pid: number; runtimePid: number; attachment: NetworkAttachment; mounts: ContainerRecord['Mounts'] }

function networkMode(rec: ContainerRecord): NetworkService['attach'] extends (o: infer O) => unknown ? O extends { mode: infer M } ? M : never : never {
  const mode = String(rec.HostConfig.NetworkMode ?? 'default');
  if (mode === 'host' || mode === 'none') return mode;
  if (mode.startsWith('container:')) return { container: mode.slice('container:'.length) };
  return 'bridge';
}

function endpoints(rec: ContainerRecord) {
  const mode = String(rec.HostConfig.NetworkMode ?? 'default');
  const configs = rec.NetworkingConfig.EndpointsConfig ?? {};
  const list = Object.entries(configs).filter(([network]) => network !== 'default').map(([network, c]) => ({
    network, aliases: (c?.Aliases as string[] | null) ?? [], ipv4Address: c?.IPAMConfig?.IPv4Address || undefined, macAddress: c?.MacAddress || undefined,
  }));
  if (!['default', 'bridge', 'host', 'none'].includes(mode) && !mode.startsWith('container:') && !configs[mode]) {
    list.unshift({ network: mode, aliases: [], ipv4Address: undefined, macAddress: undefined });
  }
  return list;
}

/** Reads the runtime state JSON the hook writes into the ready fifo; opened read-write so it never sees EOF. */
async function readHookState(fifo: string, aborted: Promise<Error>): Promise<{ pid: number }> {
  const fd = await new Promise<number>((resolve, reject) => fsOpen(fifo, fsc.O_RDWR | fsc.O_NONBLOCK, (err, n) => (err ? reject(err) : resolve(n))));
  const sock = new net.Socket({ fd, readable: true, writable: false });
  try {
    return await Promise.race([
      new Promise<{ pid: number }>((resolve, reject) => {
        let buf = '';
        sock.on('data', (d) => {
          buf += d.toString('utf8');
          const nl = buf.indexOf('\n');
          if (nl >= 0) { try { resolve(JSON.parse(buf.slice(0, nl)) as { pid: number }); } catch (e) { reject(e as Error); } }
        });
        sock.on('error', reject);
      }),
      aborted.then((e) => { throw e; }),
    ]);
  } finally { sock.destroy(); }
}

async function releaseHook(fifo: string, answer: 'go' | 'abort' = 'go'): Promise<void> {
  const fh = await open(fifo, fsc.O_WRONLY | fsc.O_NONBLOCK);
  try { await fh.write(`${answer}\n`); } finally { await fh.close(); }
}

export async function startContainer(rec: ContainerRecord, layout: ContainerLayout, deps: StartDeps, exitedEarly: Promise<void>): Promise<Started> {
  const hc = rec.HostConfig;
  const cfg = rec.Config;
  const t = phaseTimer('start', rec.Id);
  const rootfs = layout.rootfs;
  let user;
  try { user = resolveUser(rootfs, cfg.User); } catch (err) { throw new EngineError(400, (err as Error).message); }
  if (cfg.WorkingDir) await mkdir(containerPath(rootfs, cfg.WorkingDir), { recursive: true });

  const requests = mountRequests(rec);
  const resolved: ResolvedMount[] = [];
  for (const r of requests) resolved.push(await deps.volumes.resolve(rec.Id, r, rootfs));
  const mounts: OciMount[] = resolved.map(toOciMount);
  const taken = new Set(resolved.map((m) => m.destination));
  for (const [file, dest] of [[layout.hosts, '/etc/hosts'], [layout.resolvConf, '/etc/resolv.conf'], [layout.hostname, '/etc/hostname']] as const) {
    if (taken.has(dest)) continue;
    if (!existsSync(file)) await writeFile(file, '');
    mounts.push({ destination: dest, type: 'bind', source: file, options: ['rbind', 'rprivate'] });
  }

  const mode = networkMode(rec);
  let netns: NetworkNamespace = { kind: 'new' };
  if (mode === 'host') netns = { kind: 'host' };
  if (typeof mode === 'object') {
    const pid = deps.containerPid(mode.container);
    if (!pid) throw conflict(`cannot join network of a non running container: ${mode.container}`);
    netns = { kind: 'join', path: `/proc/${pid}/ns/net` };
  }

  let args = [rec.Path, ...rec.Args];
  if (hc.Init && INIT_BINARY) {
    mounts.push({ destination: '/sbin/docker-init', type: 'bind', source: INIT_BINARY, options: ['rbind', 'ro'] });
    args = ['/sbin/docker-init', '--', ...args];
  }
  const spec = buildOciSpec({
    rootfs, readonlyRootfs: hc.ReadonlyRootfs, args, env: cfg.Env, cwd: cfg.WorkingDir || '/',
    uid: user.uid, gid: user.gid, additionalGids: user.additionalGids, terminal: cfg.Tty,
    hostname: netns.kind === 'host' ? undefined : cfg.Hostname, network: netns, mounts,
    capAdd: hc.CapAdd ?? [], capDrop: hc.CapDrop ?? [], privileged: hc.Privileged,
    resources: { memory: hc.Memory, memorySwap: hc.MemorySwap, nanoCpus: hc.NanoCpus, cpuShares: hc.CpuShares, pidsLimit: hc.PidsLimit ?? undefined },
    cgroupsPath: `/tscompose/${rec.Id}`, sysctls: hc.Sysctls ?? undefined, ulimits: hc.Ulimits ?? undefined, shmSize: hc.ShmSize,
    createRuntimeHooks: [{ path: '/bin/sh', args: ['sh', '-c', HOOK_SCRIPT, layout.readyFifo, layout.goFifo], timeout: 60 }],
  });
  if (!cfg.Env.some((e: string) => e.startsWith('HOME='))) (spec.process as { env: string[] }).env.push(`HOME=${user.home}`);
  await mkdir(layout.bundle, { recursive: true });
  await writeFile(path.join(layout.bundle, 'config.json'), JSON.stringify(spec));
  t.lap('bundle');

  const aborted = exitedEarly.then(async () => new EngineError(400, (await runtimeError(layout.dir)) ?? 'the container exited before it started'));
  const statePromise = readHookState(layout.readyFifo, aborted);
  statePromise.catch(() => {});
  const runtimePid = await deps.supervisor.run({
    runtime: deps.runtime.binary, runtimeRoot: deps.runtime.stateRoot, id: rec.Id, bundle: layout.bundle, dir: layout.dir,
    logPath: layout.log, openStdin: Boolean(cfg.OpenStdin), tty: Boolean(cfg.Tty),
  });
  t.lap('supervisor');
  const { pid } = await statePromise;
  t.lap('hook');
  let attachment: NetworkAttachment;
  try {
    attachment = await deps.networks.attach({
      containerId: rec.Id, containerName: rec.Name.slice(1), hostname: cfg.Hostname, pid, mode, endpoints: endpoints(rec),
      portBindings: hc.PortBindings ?? {}, publishAll: Boolean(hc.PublishAllPorts), exposedPorts: Object.keys(cfg.ExposedPorts ?? {}),
      extraHosts: hc.ExtraHosts ?? [], dns: hc.Dns ?? [], dnsSearch: hc.DnsSearch ?? [], dnsOptions: hc.DnsOptions ?? [],
    });
    t.lap('attach');
    await Promise.all([
      writeFile(layout.hosts, withExtraHosts(attachment.hosts, hc.ExtraHosts ?? [])),
      writeFile(layout.resolvConf, attachment.resolvConf),
      writeFile(layout.hostname, `${cfg.Hostname}\n`),
    ]);
  } catch (err) {
    await releaseHook(layout.goFifo, 'abort').catch(() => {});
    throw err;
  }
  t.lap('files');
  await releaseHook(layout.goFifo);
  t.lap('release');
  await processExeced(pid);
  t.lap('execed');
  await runtimeStateWritten(path.join(deps.runtime.stateRoot, rec.Id, 'state.json'), pid);
  t.lap('state');
  t.done();
  return { pid, runtimePid, attachment, mounts: requests.map((r, i) => inspectMount(r, resolved[i]!)) };
}

// ExtraHosts ("name:ip") belong to the network service; entries it did not write are added here.
function withExtraHosts(hosts: string, extra: string[]): string {
  let out = hosts.endsWith('\n') || hosts === '' ? hosts : `${hosts}\n`;
  for (const e of extra) {
    const i = e.indexOf(':');
    const name = e.slice(0, i);
    const ip = e.slice(i + 1);
    if (!out.split('\n').some((l) => l.split(/\s+/).includes(name))) out += `${ip}\t${name}\n`;
  }
  return out;
}

/** The runtime's own error message (runc --log, JSON lines), e.g. "exec: \"nope\": executable file not found in $PATH". */
export async function runtimeError(dir: string): Promise<string | undefined> {
  let text: string;
  try { text = await readFile(path.join(dir, 'runc.log'), 'utf8'); } catch { return undefined; }
  const errors = text.split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l) as { level: string; msg: string }; } catch { return undefined; } })
    .filter((e) => e?.level === 'error');
  return errors.length ? errors[errors.length - 1]!.msg : undefined;
}

// The runtime records the container after the hooks ran; until then `runc kill/pause/exec` cannot find it.
// A container that already ended (runc removed its state again) needs no waiting.
async function runtimeStateWritten(file: string, pid: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try { await stat(file); return; } catch {
      if (!existsSync(`/proc/${pid}`)) return;
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}

// Until the runtime's init process execs the container's command, a signal would kill the runtime instead.
async function processExeced(pid: number): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    let exe: string;
    try { exe = await readlink(`/proc/${pid}/exe`); } catch { return; } // already gone
    if (!/runc|crun|memfd/.test(exe)) return;
    await new Promise((r) => setTimeout(r, 1));
  }
}
