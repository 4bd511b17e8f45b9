// Starting a container: the network first (for bridge mode a network namespace of its own, with its
// veth pairs configured), then the OCI bundle joining it, then the supervisor running `runc run`, which
// reports the container started once its process has exec'd (runc's pid file).
import { consoleSize } from './window-size.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EndpointRequest, NetworkAttachment, NetworkService, ResolvedMount, VolumeService } from '../contracts.js';
import { buildOciSpec, type NetworkNamespace, type OciMount } from '../runtime/spec.js';
import { containerUserTables, resolveGroups, resolveUser, type ResolvedUser } from '../runtime/users.js';
import { mountOverlay, overlayOptions, unmount, withOverlayMounted } from '../runtime/overlay.js';
import { containerCgroupsPath } from '../runtime/cgroups.js';
import type { OciRuntime } from '../runtime/oci-runtime.js';
import { conflict, internal, invalid } from '../errors.js';
import { findInitBinary } from '../runtime/init-binary.js';
import { logPolicy } from './log-config.js';
import { containerOverlay, type ContainerLayout } from './layout.js';
import { modeNetworkOf, type ContainerRecord } from './record.js';
import { linkSetup, linksOf } from './links.js';
import { mergeEnv } from './create-config.js';
import { mountPoint, mountRequests, toOciMount } from './mounts.js';
import { ExitedBeforeStart, type SupervisorClient } from './supervisor-client.js';
import { phaseTimer } from './trace.js';
import { resourceLimits } from './update.js';
import { parseSecurityOpt } from './security.js';

export interface StartDeps {
  runtime: OciRuntime;
  supervisor: SupervisorClient;
  networks: NetworkService;
  volumes: VolumeService;
  /** the pid of another container, for network_mode container:<name> */
  containerPid: (ref: string) => number | undefined;
  /** another container's record, for legacy links */
  container?: (ref: string) => ContainerRecord | undefined;
}

export interface Started {
  pid: number;
  runtimePid: number;
  attachment: NetworkAttachment;
  mounts: ContainerRecord['mounts'];
}

function networkMode(
  rec: ContainerRecord,
): NetworkService['attach'] extends (o: infer O) => unknown ? (O extends { mode: infer M } ? M : never) : never {
  const mode = String(rec.hostConfig.NetworkMode ?? 'default');
  if (mode === 'host' || mode === 'none') return mode;
  if (mode.startsWith('container:')) return { container: mode.slice('container:'.length) };
  return 'bridge';
}

function endpoints(rec: ContainerRecord): EndpointRequest[] {
  const mode = modeNetworkOf(rec);
  const configs = rec.endpointsConfig ?? {};
  const list: EndpointRequest[] = Object.entries(configs)
    .filter(([network]) => network !== 'default')
    .map(([network, c]) => ({
      network,
      aliases: (c?.Aliases as string[] | null) ?? [],
      ipv4Address: c?.IPAMConfig?.IPv4Address || undefined,
      ipv6Address: c?.IPAMConfig?.IPv6Address || undefined,
      macAddress: c?.MacAddress || undefined,
      links: linksOf(c?.Links as string[] | null | undefined),
    }));
  if (mode && !configs[mode]) {
    list.unshift({ network: mode, aliases: [], ipv4Address: undefined, macAddress: undefined });
  }
  // the legacy Config.MacAddress is the primary endpoint's (the network of NetworkMode), as Docker
  if (rec.config.MacAddress) {
    const netMode = String(rec.hostConfig.NetworkMode ?? 'default');
    const primaryName = mode ?? (netMode === 'default' || netMode === 'bridge' ? 'bridge' : undefined);
    let primary = list.find((e) => e.network === primaryName);
    if (!primary && primaryName === 'bridge' && !list.length)
      list.push((primary = { network: 'bridge', aliases: [], ipv4Address: undefined, macAddress: undefined }));
    if (primary && !primary.macAddress) primary.macAddress = rec.config.MacAddress;
  }
  return list;
}

/** What must be in place before anything is set up: the log driver's options make sense (Docker checks them when
 *  it starts the driver), and an init exists when one is asked for. */
function checkStartable(rec: ContainerRecord): void {
  try {
    logPolicy(rec.hostConfig.LogConfig?.Type, rec.hostConfig.LogConfig?.Config ?? {});
  } catch (err) {
    throw internal(`failed to initialize logging driver: ${(err as Error).message}`);
  }
  if (rec.hostConfig.Init) {
    const init = findInitBinary();
    if ('error' in init) throw internal(init.error);
  }
}

export async function startContainer(rec: ContainerRecord, layout: ContainerLayout, deps: StartDeps): Promise<Started> {
  checkStartable(rec);
  const t = phaseTimer('start', rec.id);
  let user: ResolvedUser;
  try {
    const tables = containerUserTables(rec.layerDirs, layout.upper);
    user = resolveUser(tables, rec.config.User);
    const groupAdd = rec.hostConfig.GroupAdd as string[] | null | undefined;
    if (groupAdd?.length) {
      const base = user;
      const extra = resolveGroups(tables, groupAdd).filter((g) => g !== base.gid && !base.additionalGids.includes(g));
      user = { ...base, additionalGids: [...base.additionalGids, ...extra] };
    }
  } catch (err) {
    throw invalid((err as Error).message);
  }
  // runc mounts the overlay itself, in the container's mount namespace; other runtimes get it mounted here, on the
  // host, until the container exits (ContainerService.onExit unmounts it, init() after a crash, removal in any case)
  const premount = !deps.runtime.mountsRootOverlay;
  if (premount) await mountOverlay(containerOverlay(layout, rec.layerDirs));
  try {
    return await startOnRootfs(rec, layout, deps, user, premount, t);
  } catch (err) {
    if (premount) await unmount(layout.rootfs);
    throw err;
  }
}

async function startOnRootfs(
  rec: ContainerRecord,
  layout: ContainerLayout,
  deps: StartDeps,
  user: ResolvedUser,
  premounted: boolean,
  t: ReturnType<typeof phaseTimer>,
): Promise<Started> {
  const hc = rec.hostConfig;
  const cfg = rec.config;
  const security = parseSecurityOpt(hc.SecurityOpt);
  const overlay = containerOverlay(layout, rec.layerDirs);
  const requests = mountRequests(rec);
  const resolved: ResolvedMount[] = [];
  const resolveAll = async (imageRootfs: string) => {
    for (const r of requests) resolved.push(await deps.volumes.resolve(rec.id, r, imageRootfs));
  };
  // a volume used for the first time gets the image's content at its target: only then is a host view needed
  if (premounted) await resolveAll(layout.rootfs);
  else if (requests.some((r) => r.Type === 'volume')) await withOverlayMounted(overlay, () => resolveAll(layout.rootfs));
  else await resolveAll('');
  const mounts: OciMount[] = resolved.map(toOciMount);
  const taken = new Set(resolved.map((m) => m.destination));
  const files = [
    [layout.hosts, '/etc/hosts'],
    [layout.resolvConf, '/etc/resolv.conf'],
    [layout.hostname, '/etc/hostname'],
  ] as const;
  for (const [file, dest] of files) {
    if (!taken.has(dest)) mounts.push({ destination: dest, type: 'bind', source: file, options: ['rbind', 'rprivate'] });
  }

  const mode = networkMode(rec);
  // legacy links work on the default bridge only (on user networks Docker makes them DNS aliases)
  const links = mode === 'bridge' && !modeNetworkOf(rec) && deps.container ? linkSetup(rec, deps.container) : { env: [], hosts: [] };
  let netns: NetworkNamespace = { kind: 'new' };
  if (mode === 'host') netns = { kind: 'host' };
  if (typeof mode === 'object') {
    const pid = deps.containerPid(mode.container);
    if (!pid) throw conflict(`cannot join network of a non running container: ${mode.container}`);
    netns = { kind: 'join', path: `/proc/${pid}/ns/net` };
  }
  t.lap('prepare');
  const attachment = await deps.networks.attach({
    containerId: rec.id,
    containerName: rec.name.slice(1),
    hostname: cfg.Hostname,
    mode,
    endpoints: endpoints(rec),
    configuresNetwork:
      Boolean(hc.Privileged) ||
      (hc.CapAdd ?? []).some((c: string) => /^(CAP_)?(NET_ADMIN|ALL)$/i.test(c)) ||
      Object.keys(hc.Sysctls ?? {}).some((k) => k.startsWith('net.')),
    portBindings: hc.PortBindings ?? {},
    publishAll: Boolean(hc.PublishAllPorts),
    exposedPorts: Object.keys(cfg.ExposedPorts ?? {}),
    extraHosts: [...links.hosts, ...(hc.ExtraHosts ?? [])],
    dns: hc.Dns ?? [],
    dnsSearch: hc.DnsSearch ?? [],
    dnsOptions: hc.DnsOptions ?? [],
  });
  t.lap('attach');
  try {
    if (attachment.netnsPath) netns = { kind: 'join', path: attachment.netnsPath };
    let args = [rec.path, ...rec.args];
    const init = hc.Init ? findInitBinary() : undefined;
    if (init && 'path' in init) {
      mounts.push({ destination: '/sbin/docker-init', type: 'bind', source: init.path, options: ['rbind', 'ro'] });
      args = ['/sbin/docker-init', '--', ...args];
    }
    const spec = buildOciSpec({
      rootfs: layout.rootfs,
      rootOverlay: premounted ? undefined : overlayOptions(overlay),
      readonlyRootfs: hc.ReadonlyRootfs,
      args,
      env: links.env.length ? mergeEnv(links.env, cfg.Env) : cfg.Env,
      cwd: cfg.WorkingDir || '/',
      uid: user.uid,
      gid: user.gid,
      additionalGids: user.additionalGids,
      terminal: cfg.Tty,
      consoleSize: consoleSize(hc.ConsoleSize),
      hostname: netns.kind === 'host' ? undefined : cfg.Hostname,
      network: netns,
      mounts,
      capAdd: hc.CapAdd ?? [],
      capDrop: hc.CapDrop ?? [],
      privileged: hc.Privileged,
      resources: resourceLimits(hc),
      cgroupsPath: containerCgroupsPath(rec.id),
      sysctls: hc.Sysctls ?? undefined,
      ulimits: hc.Ulimits ?? undefined,
      shmSize: hc.ShmSize,
      seccomp: security.seccomp,
      noNewPrivileges: security.noNewPrivileges,
      maskedPaths: hc.MaskedPaths,
      readonlyPaths: hc.ReadonlyPaths,
    });
    if (!cfg.Env.some((e: string) => e.startsWith('HOME='))) (spec.process as { env: string[] }).env.push(`HOME=${user.home}`);
    // synchronous: small files, faster than trips through the thread pool
    mkdirSync(layout.bundle, { recursive: true });
    const contents = new Map<string, string>([
      [layout.hosts, withExtraHosts(attachment.hosts, hc.ExtraHosts ?? [])],
      [layout.resolvConf, attachment.resolvConf],
      [layout.hostname, `${cfg.Hostname}\n`],
    ]);
    writeFileSync(path.join(layout.bundle, 'config.json'), JSON.stringify(spec));
    for (const [file, dest] of files) writeFileSync(file, taken.has(dest) ? '' : contents.get(file)!);
    t.lap('bundle');
    const { runtimePid, pid } = await deps.supervisor.run({ id: rec.id, openStdin: Boolean(cfg.OpenStdin), tty: Boolean(cfg.Tty) });
    t.lap('runtime');
    t.done();
    return { pid, runtimePid, attachment, mounts: requests.map((r, i) => mountPoint(r, resolved[i]!)) };
  } catch (err) {
    await deps.networks.detach(rec.id).catch(() => {});
    if (err instanceof ExitedBeforeStart) throw invalid((await runtimeError(layout.dir)) ?? err.message);
    throw err;
  }
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
  try {
    text = await readFile(path.join(dir, 'runc.log'), 'utf8');
  } catch {
    return undefined;
  }
  const errors = text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l) as { level: string; msg: string };
      } catch {
        return undefined;
      }
    })
    .filter((e) => e?.level === 'error');
  return errors.length ? errors[errors.length - 1]!.msg : undefined;
}
