// Docker's two views of a container: the full inspect document and the /containers/json summary,
// and the list filters (label, name, status, id, ancestor, exited).
import type { ContainerRecord } from './record.js';
import type { ContainerLayout } from './layout.js';
import { humanDuration } from '../../human-duration.js';
import { networksView } from './network-view.js';

export function inspectView(rec: ContainerRecord, layout: ContainerLayout, execIds: string[]): Record<string, unknown> {
  const networks = networksView(rec, hasSandbox(rec));
  const primary = Object.values(networks)[0] as Record<string, any> | undefined;
  return {
    Id: rec.Id, Created: rec.Created, Path: rec.Path, Args: rec.Args, State: rec.State, Image: rec.Image,
    ResolvConfPath: layout.resolvConf, HostnamePath: layout.hostname, HostsPath: layout.hosts, LogPath: layout.log,
    Name: rec.Name, RestartCount: rec.RestartCount, Driver: 'overlay2', Platform: 'linux', MountLabel: '', ProcessLabel: '',
    AppArmorProfile: '', ExecIDs: execIds.length ? execIds : null, HostConfig: rec.HostConfig,
    GraphDriver: { Name: 'overlay2', Data: { LowerDir: [...rec.LayerDirs].reverse().join(':'), UpperDir: layout.upper, WorkDir: layout.work, MergedDir: layout.rootfs } },
    Mounts: rec.Mounts, Config: rec.Config,
    NetworkSettings: {
      Bridge: '', SandboxID: rec.State.Running ? rec.Id : '', HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
      Ports: hasSandbox(rec) ? (rec.NetworkSettings.Ports ?? {}) : {}, SandboxKey: rec.State.Running ? (rec.NetworkSettings.SandboxKey ?? '') : '',
      SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: primary?.EndpointID ?? '', Gateway: primary?.Gateway ?? '',
      GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, IPAddress: primary?.IPAddress ?? '', IPPrefixLen: primary?.IPPrefixLen ?? 0,
      IPv6Gateway: '', MacAddress: primary?.MacAddress ?? '', Networks: networks,
    },
  };
}

const ago = (iso: string): string => humanDuration(Date.now() - Date.parse(iso));

/** Ports are published only while the container's network namespace exists, as Docker reports them. */
const hasSandbox = (rec: ContainerRecord): boolean => rec.State.Running || rec.State.Status === 'paused';

export function statusText(rec: ContainerRecord): string {
  const st = rec.State;
  if (st.Status === 'running') return `Up ${ago(st.StartedAt)}${st.Health ? ` (${st.Health.Status})` : ''}`;
  if (st.Status === 'paused') return `Up ${ago(st.StartedAt)} (Paused)`;
  if (st.Status === 'restarting') return `Restarting (${st.ExitCode}) ${ago(st.FinishedAt)} ago`;
  if (st.Status === 'exited') return `Exited (${st.ExitCode}) ${ago(st.FinishedAt)} ago`;
  if (st.Status === 'removing') return 'Removal In Progress';
  return 'Created';
}

export function summaryView(rec: ContainerRecord): Record<string, unknown> {
  const ports: Record<string, unknown>[] = [];
  for (const [key, bindings] of Object.entries(hasSandbox(rec) ? (rec.NetworkSettings.Ports ?? {}) : {})) {
    const [port, proto] = key.split('/');
    if (!bindings || !(bindings as unknown[]).length) { ports.push({ PrivatePort: Number(port), Type: proto }); continue; }
    for (const b of bindings as { HostIp: string; HostPort: string }[]) ports.push({ IP: b.HostIp || '0.0.0.0', PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: proto });
  }
  return {
    Id: rec.Id, Names: [rec.Name], Image: rec.Config.Image, ImageID: rec.Image,
    Command: [rec.Path, ...rec.Args].join(' '), Created: Math.floor(Date.parse(rec.Created) / 1000), Ports: ports,
    Labels: rec.Config.Labels ?? {}, State: rec.State.Status, Status: statusText(rec),
    HostConfig: { NetworkMode: rec.HostConfig.NetworkMode ?? 'default' }, NetworkSettings: { Networks: networksView(rec, hasSandbox(rec)) },
    Mounts: rec.Mounts,
  };
}

function hasLabel(rec: ContainerRecord, filter: string): boolean {
  const labels = rec.Config.Labels ?? {};
  const eq = filter.indexOf('=');
  return eq < 0 ? filter in labels : labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

/** Docker's list filters: every label filter must match (and no label! one); the values of any other key
 *  are alternatives, and the keys must all match. */
export function matchesFilters(rec: ContainerRecord, filters: Record<string, string[]>): boolean {
  for (const [key, values] of Object.entries(filters)) {
    if (!values.length) continue;
    if (key === 'label') { if (!values.every((v) => hasLabel(rec, v))) return false; continue; }
    if (key === 'label!') { if (values.some((v) => hasLabel(rec, v))) return false; continue; }
    const ok = values.some((v) => {
      switch (key) {
        case 'name': {
          try { return new RegExp(v).test(rec.Name.slice(1)) || rec.Name === v; } catch { return rec.Name.includes(v); }
        }
        case 'id': return rec.Id.startsWith(v);
        case 'status': return rec.State.Status === v;
        case 'exited': return rec.State.Status === 'exited' && String(rec.State.ExitCode) === v;
        case 'ancestor': return rec.Config.Image === v || rec.Image === v || rec.Image.startsWith(`sha256:${v}`);
        case 'network': return Object.keys(networksView(rec, hasSandbox(rec))).includes(v) || rec.HostConfig.NetworkMode === v;
        case 'health': return (rec.State.Health?.Status ?? 'none') === v;
        default: return true;
      }
    });
    if (!ok) return false;
  }
  return true;
}
