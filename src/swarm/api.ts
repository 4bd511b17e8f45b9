// The Swarm endpoints a stack needs, through dockerode, each call counted (the counts are what the
// README's scaling notes are measured from). Nothing here decides anything.
import type Docker from 'dockerode';
import { namespaceFilter } from './labels.js';
import type { ObservedService } from './plan.js';
import type { SwarmNetworkSpec, SwarmObjectSpec, SwarmServiceSpec } from './spec-types.js';
import type { AuthConfig } from './registry-auth.js';

export interface SwarmTask {
  ID: string;
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  CreatedAt?: string;
  UpdatedAt?: string;
  DesiredState: string;
  Spec?: { ContainerSpec?: { Image?: string; Labels?: Record<string, string> } };
  Status: {
    State: string;
    Message?: string;
    Err?: string;
    Timestamp?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
    PortStatus?: { Ports?: { TargetPort?: number; PublishedPort?: number; Protocol?: string; PublishMode?: string }[] };
  };
}

export interface StackService extends ObservedService {
  Spec?: SwarmServiceSpec;
  UpdateStatus?: { State?: string; Message?: string };
  ServiceStatus?: { RunningTasks: number; DesiredTasks: number; CompletedTasks?: number };
}

export interface NamedObject {
  ID: string;
  Spec?: { Name?: string; Labels?: Record<string, string> };
}

export class SwarmApi {
  calls = 0;
  constructor(readonly docker: Docker) {}

  private count<T>(p: Promise<T>): Promise<T> {
    this.calls++;
    return p;
  }

  services(project: string): Promise<StackService[]> {
    return this.count(
      this.docker.listServices({ filters: namespaceFilter(project), status: true } as Docker.ServiceListOptions) as Promise<StackService[]>,
    );
  }
  allServices(): Promise<StackService[]> {
    return this.count(this.docker.listServices() as Promise<StackService[]>);
  }
  /** `auth` goes in X-Registry-Auth: the manager passes it to the nodes that pull the image. */
  createService(spec: SwarmServiceSpec, auth?: AuthConfig): Promise<unknown> {
    return this.count(this.docker.createService(auth as never, spec as unknown as Docker.CreateServiceOptions));
  }
  /** `version` guards against a concurrent update: the manager refuses a stale one. */
  updateService(id: string, version: number, spec: SwarmServiceSpec, auth?: AuthConfig): Promise<unknown> {
    return this.count(
      this.docker.getService(id).update(auth as never, { _query: { version }, _body: spec } as never) as unknown as Promise<unknown>,
    );
  }
  removeService(id: string): Promise<unknown> {
    return this.count(this.docker.getService(id).remove());
  }

  tasks(filters: { service?: string[]; label?: string[] }): Promise<SwarmTask[]> {
    return this.count(this.docker.listTasks({ filters } as never) as unknown as Promise<SwarmTask[]>);
  }
  nodes(): Promise<{ ID: string; Description?: { Hostname?: string }; Status?: { Addr?: string } }[]> {
    return this.count(this.docker.listNodes() as never);
  }

  networks(project: string): Promise<{ Id: string; Name: string }[]> {
    return this.count(this.docker.listNetworks({ filters: namespaceFilter(project) }) as never);
  }
  network(name: string): Promise<{ Id: string; Name: string; Scope?: string; Driver?: string } | undefined> {
    return this.count(
      this.docker
        .getNetwork(name)
        .inspect()
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode === 404) return undefined;
          throw err;
        }),
    );
  }
  createNetwork(spec: SwarmNetworkSpec): Promise<unknown> {
    return this.count(this.docker.createNetwork(spec as unknown as Docker.NetworkCreateOptions));
  }
  removeNetwork(id: string): Promise<unknown> {
    return this.count(this.docker.getNetwork(id).remove());
  }

  objects(kind: 'secret' | 'config', filters: Record<string, string[]>): Promise<NamedObject[]> {
    const opts = { filters } as never;
    return this.count(
      (kind === 'secret' ? this.docker.listSecrets(opts) : this.docker.listConfigs(opts)) as unknown as Promise<NamedObject[]>,
    );
  }
  /** Returns the new object's ID. */
  async createObject(kind: 'secret' | 'config', spec: SwarmObjectSpec): Promise<string> {
    const created = await this.count(
      (kind === 'secret' ? this.docker.createSecret(spec as never) : this.docker.createConfig(spec as never)) as Promise<{
        id?: string;
        ID?: string;
      }>,
    );
    return created.id ?? created.ID ?? '';
  }
  removeObject(kind: 'secret' | 'config', id: string): Promise<unknown> {
    return this.count(kind === 'secret' ? this.docker.getSecret(id).remove() : this.docker.getConfig(id).remove());
  }

  /** The digest the registry serves for `ref`, asked through the manager (which has the registry's credentials and trust settings). */
  async imageDigest(ref: string, auth?: AuthConfig): Promise<string> {
    const info = await this.count(
      this.docker.getImage(ref).distribution(auth ? { authconfig: auth } : {}) as Promise<{ Descriptor?: { digest?: string } }>,
    );
    if (!info.Descriptor?.digest) throw new Error(`the registry returned no digest for ${ref}`);
    return info.Descriptor.digest;
  }

  volumes(project: string): Promise<{ Name: string }[]> {
    return this.count(this.docker.listVolumes({ filters: namespaceFilter(project) }).then((r) => r.Volumes ?? []));
  }
  removeVolume(name: string): Promise<unknown> {
    return this.count(this.docker.getVolume(name).remove());
  }
}
