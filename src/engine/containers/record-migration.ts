// Bringing a stored container.json to the current record format. Version 1 (engines before the typed records,
// no `version` field) stored Docker's inspect document itself; version 2 is `ContainerRecord`. Each step is a
// pure function of the older document, so an upgraded engine keeps every container it had.
import type { ContainerRecord, ContainerState, HealthState, MountPoint } from './record.js';
import type { EndpointSettings } from '../contracts.js';
import type { ContainerConfig, EndpointConfig, HostConfig, PortMap } from './docker-config.js';

/** A container.json that is not a container record of any known version. */
export class UnreadableRecordError extends Error {}

interface V1State {
  Status: ContainerState['status'];
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: {
    Status: HealthState['status'];
    FailingStreak: number;
    Log: { Start: string; End: string; ExitCode: number; Output: string }[];
  };
}

/** Version 1: Docker's inspect shape plus the engine's own fields. */
interface V1Record {
  Id: string;
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  Image: string;
  Config: ContainerConfig;
  HostConfig: HostConfig;
  NetworkingConfig?: { EndpointsConfig?: Record<string, EndpointConfig | null> };
  State: V1State;
  RestartCount: number;
  NetworkSettings?: { Networks?: Record<string, EndpointSettings>; Ports?: PortMap; SandboxKey?: string };
  Mounts?: {
    Type: string;
    Source: string;
    Destination: string;
    Mode: string;
    RW: boolean;
    Propagation: string;
    Name?: string;
    Driver?: string;
  }[];
  LayerDirs: string[];
  SupervisorPid?: number;
  ManualStop?: boolean;
  KilledByEngine?: boolean;
  LeftModeNetwork?: boolean;
}

/** The stored format's version, written in every record. */
export const CONTAINER_RECORD_VERSION = 2;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fromV1(doc: V1Record): ContainerRecord {
  const s = doc.State;
  const state: ContainerState = {
    status: s.Status,
    running: s.Running,
    paused: s.Paused,
    restarting: s.Restarting,
    oomKilled: s.OOMKilled,
    dead: s.Dead,
    pid: s.Pid,
    exitCode: s.ExitCode,
    error: s.Error,
    startedAt: s.StartedAt,
    finishedAt: s.FinishedAt,
    ...(s.Health
      ? {
          health: {
            status: s.Health.Status,
            failingStreak: s.Health.FailingStreak,
            log: s.Health.Log.map((p) => ({ start: p.Start, end: p.End, exitCode: p.ExitCode, output: p.Output })),
          },
        }
      : {}),
  };
  const mounts: MountPoint[] = (doc.Mounts ?? []).map((m) => ({
    type: m.Type,
    source: m.Source,
    destination: m.Destination,
    mode: m.Mode,
    rw: m.RW,
    propagation: m.Propagation,
    ...(m.Name !== undefined ? { name: m.Name } : {}),
    ...(m.Driver !== undefined ? { driver: m.Driver } : {}),
  }));
  const ns = doc.NetworkSettings ?? {};
  return {
    version: CONTAINER_RECORD_VERSION,
    id: doc.Id,
    name: doc.Name,
    created: doc.Created,
    path: doc.Path,
    args: doc.Args,
    imageId: doc.Image,
    config: doc.Config,
    hostConfig: doc.HostConfig,
    endpointsConfig: doc.NetworkingConfig?.EndpointsConfig ?? {},
    state,
    restartCount: doc.RestartCount ?? 0,
    networkSettings: {
      networks: ns.Networks ?? {},
      ports: ns.Ports ?? {},
      ...(ns.SandboxKey !== undefined ? { sandboxKey: ns.SandboxKey } : {}),
    },
    mounts,
    layerDirs: doc.LayerDirs ?? [],
    ...(doc.SupervisorPid !== undefined ? { runtimePid: doc.SupervisorPid } : {}),
    ...(doc.ManualStop !== undefined ? { manualStop: doc.ManualStop } : {}),
    ...(doc.KilledByEngine !== undefined ? { killedByEngine: doc.KilledByEngine } : {}),
    ...(doc.LeftModeNetwork !== undefined ? { leftModeNetwork: doc.LeftModeNetwork } : {}),
  };
}

/** The stored document as a current record, and whether it had to be converted (then it is saved back). */
export function migrateContainerRecord(doc: unknown): { record: ContainerRecord; migrated: boolean } {
  if (!isObject(doc)) throw new UnreadableRecordError('not a JSON object');
  if (doc.version === undefined) {
    if (typeof doc.Id !== 'string' || !isObject(doc.State) || !isObject(doc.Config) || !isObject(doc.HostConfig)) {
      throw new UnreadableRecordError('neither a version 1 record (Docker inspect shape) nor a versioned one');
    }
    return { record: fromV1(doc as unknown as V1Record), migrated: true };
  }
  if (doc.version === CONTAINER_RECORD_VERSION) {
    if (typeof doc.id !== 'string' || !isObject(doc.state)) throw new UnreadableRecordError('a version 2 record without id or state');
    return { record: doc as unknown as ContainerRecord, migrated: false };
  }
  // written by a newer engine: reading it as ours could lose what that engine stored
  throw new UnreadableRecordError(`record version ${String(doc.version)} is newer than this engine's (${CONTAINER_RECORD_VERSION})`);
}
