// Docker's two views of a container: the full inspect document and the /containers/json summary,
// and the list filters (label, name, status, id, ancestor, exited).
import type { ContainerRecord, ContainerState, MountPoint } from './record.js';
import type { ContainerLayout } from './layout.js';
import { humanDuration } from '../../human-duration.js';
import { networksView } from './network-view.js';

/** Docker's State object. */
export function dockerState(st: ContainerState): Record<string, unknown> {
  return {
    Status: st.status,
    Running: st.running,
    Paused: st.paused,
    Restarting: st.restarting,
    OOMKilled: st.oomKilled,
    Dead: st.dead,
    Pid: st.pid,
    ExitCode: st.exitCode,
    Error: st.error,
    StartedAt: st.startedAt,
    FinishedAt: st.finishedAt,
    ...(st.health
      ? {
          Health: {
            Status: st.health.status,
            FailingStreak: st.health.failingStreak,
            Log: st.health.log.map((p) => ({ Start: p.start, End: p.end, ExitCode: p.exitCode, Output: p.output })),
          },
        }
      : {}),
  };
}

/** An entry of Docker's Mounts list. */
export function dockerMount(m: MountPoint): Record<string, unknown> {
  return {
    Type: m.type,
    ...(m.name !== undefined ? { Name: m.name } : {}),
    Source: m.source,
    Destination: m.destination,
    ...(m.driver !== undefined ? { Driver: m.driver } : {}),
    Mode: m.mode,
    RW: m.rw,
    Propagation: m.propagation,
  };
}

export function inspectView(rec: ContainerRecord, layout: ContainerLayout, execIds: string[]): Record<string, unknown> {
  const networks = networksView(rec, hasSandbox(rec));
  const primary = Object.values(networks)[0] as Record<string, any> | undefined;
  return {
    Id: rec.id,
    Created: rec.created,
    Path: rec.path,
    Args: rec.args,
    State: dockerState(rec.state),
    Image: rec.imageId,
    ResolvConfPath: layout.resolvConf,
    HostnamePath: layout.hostname,
    HostsPath: layout.hosts,
    // as Docker: only json-file's file is meant to be read by others; local's format and none's window are the engine's
    LogPath: (rec.hostConfig.LogConfig?.Type || 'json-file') === 'json-file' ? layout.log : '',
    Name: rec.name,
    RestartCount: rec.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: execIds.length ? execIds : null,
    HostConfig: rec.hostConfig,
    GraphDriver: {
      Name: 'overlay2',
      Data: { LowerDir: [...rec.layerDirs].reverse().join(':'), UpperDir: layout.upper, WorkDir: layout.work, MergedDir: layout.rootfs },
    },
    Mounts: rec.mounts.map(dockerMount),
    Config: rec.config,
    NetworkSettings: {
      Bridge: '',
      SandboxID: rec.state.running ? rec.id : '',
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      Ports: hasSandbox(rec) ? (rec.networkSettings.ports ?? {}) : {},
      SandboxKey: rec.state.running ? (rec.networkSettings.sandboxKey ?? '') : '',
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: primary?.EndpointID ?? '',
      Gateway: primary?.Gateway ?? '',
      GlobalIPv6Address: primary?.GlobalIPv6Address ?? '',
      GlobalIPv6PrefixLen: primary?.GlobalIPv6PrefixLen ?? 0,
      IPAddress: primary?.IPAddress ?? '',
      IPPrefixLen: primary?.IPPrefixLen ?? 0,
      IPv6Gateway: primary?.IPv6Gateway ?? '',
      MacAddress: primary?.MacAddress ?? '',
      Networks: networks,
    },
  };
}

const ago = (iso: string): string => humanDuration(Date.now() - Date.parse(iso));

/** Ports are published only while the container's network namespace exists, as Docker reports them. */
const hasSandbox = (rec: ContainerRecord): boolean => rec.state.running || rec.state.status === 'paused';

export function statusText(rec: ContainerRecord): string {
  const st = rec.state;
  if (st.status === 'running') return `Up ${ago(st.startedAt)}${st.health ? ` (${st.health.status})` : ''}`;
  if (st.status === 'paused') return `Up ${ago(st.startedAt)} (Paused)`;
  if (st.status === 'restarting') return `Restarting (${st.exitCode}) ${ago(st.finishedAt)} ago`;
  if (st.status === 'exited') return `Exited (${st.exitCode}) ${ago(st.finishedAt)} ago`;
  if (st.status === 'removing') return 'Removal In Progress';
  return 'Created';
}

export function summaryView(rec: ContainerRecord): Record<string, unknown> {
  const ports: Record<string, unknown>[] = [];
  for (const [key, bindings] of Object.entries(hasSandbox(rec) ? (rec.networkSettings.ports ?? {}) : {})) {
    const [port, proto] = key.split('/');
    if (!bindings || !(bindings as unknown[]).length) {
      ports.push({ PrivatePort: Number(port), Type: proto });
      continue;
    }
    for (const b of bindings as { HostIp: string; HostPort: string }[])
      ports.push({ IP: b.HostIp || '0.0.0.0', PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: proto });
  }
  return {
    Id: rec.id,
    Names: [rec.name],
    Image: rec.config.Image,
    ImageID: rec.imageId,
    Command: [rec.path, ...rec.args].join(' '),
    Created: Math.floor(Date.parse(rec.created) / 1000),
    Ports: ports,
    Labels: rec.config.Labels ?? {},
    State: rec.state.status,
    Status: statusText(rec),
    HostConfig: { NetworkMode: rec.hostConfig.NetworkMode ?? 'default' },
    NetworkSettings: { Networks: networksView(rec, hasSandbox(rec)) },
    Mounts: rec.mounts.map(dockerMount),
  };
}

function hasLabel(rec: ContainerRecord, filter: string): boolean {
  const labels = rec.config.Labels ?? {};
  const eq = filter.indexOf('=');
  return eq < 0 ? filter in labels : labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

/** Docker's list filters: every label filter must match (and no label! one); the values of any other key
 *  are alternatives, and the keys must all match. */
export function matchesFilters(rec: ContainerRecord, filters: Record<string, string[]>): boolean {
  for (const [key, values] of Object.entries(filters)) {
    if (!values.length) continue;
    if (key === 'label') {
      if (!values.every((v) => hasLabel(rec, v))) return false;
      continue;
    }
    if (key === 'label!') {
      if (values.some((v) => hasLabel(rec, v))) return false;
      continue;
    }
    const ok = values.some((v) => {
      switch (key) {
        case 'name': {
          try {
            return new RegExp(v).test(rec.name.slice(1)) || rec.name === v;
          } catch {
            return rec.name.includes(v);
          }
        }
        case 'id':
          return rec.id.startsWith(v);
        case 'status':
          return rec.state.status === v;
        case 'exited':
          return rec.state.status === 'exited' && String(rec.state.exitCode) === v;
        case 'ancestor':
          return rec.config.Image === v || rec.imageId === v || rec.imageId.startsWith(`sha256:${v}`);
        case 'network':
          return Object.keys(networksView(rec, hasSandbox(rec))).includes(v) || rec.hostConfig.NetworkMode === v;
        case 'health':
          return (rec.state.health?.status ?? 'none') === v;
        default:
          return true;
      }
    });
    if (!ok) return false;
  }
  return true;
}
