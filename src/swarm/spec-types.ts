// The Swarm API objects tscompose writes (Engine API v1.41 field names), limited to what it sets.
// Own types rather than @types/dockerode's: those miss fields (Mounts' VolumeOptions.Subpath, the
// generic resources' real shape) and this keeps the translation independent of the client library.

export interface SwarmMount {
  Type: 'volume' | 'bind' | 'tmpfs';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string };
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string>;
    DriverConfig?: { Name?: string; Options?: Record<string, string> };
    Subpath?: string;
  };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface SwarmFileReference {
  File: { Name: string; UID: string; GID: string; Mode: number };
  SecretName?: string;
  SecretID?: string;
  ConfigName?: string;
  ConfigID?: string;
}

export interface SwarmContainerSpec {
  Image: string;
  Labels?: Record<string, string>;
  Command?: string[];
  Args?: string[];
  Hostname?: string;
  Env?: string[];
  Dir?: string;
  User?: string;
  Groups?: string[];
  Init?: boolean;
  TTY?: boolean;
  OpenStdin?: boolean;
  ReadOnly?: boolean;
  Mounts?: SwarmMount[];
  StopSignal?: string;
  StopGracePeriod?: number;
  HealthCheck?: { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number; StartInterval?: number };
  Hosts?: string[];
  DNSConfig?: { Nameservers?: string[]; Search?: string[]; Options?: string[] };
  Secrets?: SwarmFileReference[];
  Configs?: SwarmFileReference[];
  Isolation?: string;
  Sysctls?: Record<string, string>;
  CapabilityAdd?: string[];
  CapabilityDrop?: string[];
  Ulimits?: { Name: string; Soft: number; Hard: number }[];
}

export type SwarmGenericResource =
  { DiscreteResourceSpec: { Kind: string; Value: number } } | { NamedResourceSpec: { Kind: string; Value: string } };

export interface SwarmUpdateConfig {
  Parallelism?: number;
  Delay?: number;
  FailureAction?: string;
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: string;
}

export interface SwarmPort {
  Name?: string;
  Protocol: 'tcp' | 'udp' | 'sctp';
  TargetPort: number;
  PublishedPort?: number;
  PublishMode: 'ingress' | 'host';
}

export interface SwarmServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: {
    ContainerSpec: SwarmContainerSpec;
    Resources?: {
      Limits?: { NanoCPUs?: number; MemoryBytes?: number; Pids?: number };
      Reservations?: { NanoCPUs?: number; MemoryBytes?: number; GenericResources?: SwarmGenericResource[] };
    };
    RestartPolicy?: { Condition?: string; Delay?: number; MaxAttempts?: number; Window?: number };
    Placement?: { Constraints?: string[]; Preferences?: { Spread: { SpreadDescriptor: string } }[]; MaxReplicas?: number };
    Networks?: { Target: string; Aliases?: string[]; DriverOpts?: Record<string, string> }[];
    LogDriver?: { Name: string; Options?: Record<string, string> };
    ForceUpdate?: number;
  };
  Mode: {
    Replicated?: { Replicas: number };
    Global?: Record<string, never>;
    ReplicatedJob?: { MaxConcurrent?: number; TotalCompletions?: number };
    GlobalJob?: Record<string, never>;
  };
  UpdateConfig?: SwarmUpdateConfig;
  RollbackConfig?: SwarmUpdateConfig;
  EndpointSpec?: { Mode?: 'vip' | 'dnsrr'; Ports?: SwarmPort[] };
}

export interface SwarmNetworkSpec {
  Name: string;
  Driver: string;
  Options?: Record<string, string>;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  IPAM?: {
    Driver?: string;
    Config?: { Subnet?: string; Gateway?: string; IPRange?: string; AuxiliaryAddresses?: Record<string, string> }[];
  };
  Labels: Record<string, string>;
  CheckDuplicate?: boolean;
}

/** A secret or a config: same shape; Data is base64. */
export interface SwarmObjectSpec {
  Name: string;
  Labels: Record<string, string>;
  Data: string;
  Driver?: { Name: string; Options?: Record<string, string> };
  Templating?: { Name: string };
}
