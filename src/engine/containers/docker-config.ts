// The parts of a container the client chose, in the Engine API's own vocabulary: the create request's Config
// (merged with the image's defaults) and HostConfig, and the endpoint settings of its networks. The engine
// keeps them as the client sent them, the way containerd keeps an OCI spec: they are the container's
// specification, shown back by inspect, not engine state. Declared here are the fields the engine reads;
// anything else a client sends is kept and shown back unchanged.
import type { PortBinding } from '../contracts.js';

export interface HealthcheckConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
  StartInterval?: number;
}

export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[];
  Entrypoint: string[] | null;
  Image: string;
  WorkingDir: string;
  Labels: Record<string, string>;
  StopSignal: string;
  StopTimeout?: number;
  Healthcheck?: HealthcheckConfig;
  ExposedPorts: Record<string, object>;
  Volumes: Record<string, object> | null;
  MacAddress?: string;
  [key: string]: unknown;
}

export interface RestartPolicy {
  Name: string;
  MaximumRetryCount?: number;
}
export type PortMap = Record<string, PortBinding[] | null>;

export interface HostConfig {
  NetworkMode?: string;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  Privileged?: boolean;
  Runtime?: string;
  LogConfig?: { Type: string; Config?: Record<string, string> };
  Links?: string[] | null;
  GroupAdd?: string[] | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  SecurityOpt?: string[] | null;
  Binds?: string[] | null;
  Mounts?: unknown[] | null;
  Tmpfs?: Record<string, string> | null;
  PortBindings?: PortMap | null;
  PublishAllPorts?: boolean;
  MaskedPaths?: string[];
  ReadonlyPaths?: string[];
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpuQuota?: number;
  CpuPeriod?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  PidsLimit?: number | null;
  /** "c 7:128 rwm": devices the container's cgroup allows besides the defaults */
  DeviceCgroupRules?: string[] | null;
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  Ulimits?: { Name: string; Soft: number; Hard: number }[] | null;
  ExtraHosts?: string[] | null;
  Dns?: string[] | null;
  DnsSearch?: string[] | null;
  DnsOptions?: string[] | null;
  ReadonlyRootfs?: boolean;
  Init?: boolean | null;
  [key: string]: unknown;
}

/** A network the client asked for (NetworkingConfig.EndpointsConfig, network connect). */
export interface EndpointConfig {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Links?: string[] | null;
  Aliases?: string[] | null;
  MacAddress?: string;
  DriverOpts?: Record<string, string> | null;
  NetworkID?: string;
  EndpointID?: string;
  Gateway?: string;
  IPAddress?: string;
  IPPrefixLen?: number;
  IPv6Gateway?: string;
  GlobalIPv6Address?: string;
  GlobalIPv6PrefixLen?: number;
  DNSNames?: string[] | null;
}
