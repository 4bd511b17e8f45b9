// The whole stack as Swarm objects: the services selected, and the networks, secrets and configs
// they use. Pure: the data of secrets and configs, the resolved environments and pinned images come in.
import type { Project } from '../model/types.js';
import { UserError } from '../errors.js';
import { SWARM_LABEL } from './labels.js';
import { objectSpec, type ObjectKind } from './objects.js';
import { serviceSpec } from './service-spec.js';
import { specHash } from './spec-hash.js';
import type { SwarmNetworkSpec, SwarmObjectSpec, SwarmServiceSpec } from './spec-types.js';
import { unsupportedWarnings } from './unsupported.js';

export interface StackInputs {
  /** services to deploy (all when empty) */
  services?: string[];
  /** data of the non-external secrets and configs the services use, by key */
  secretData: Record<string, Buffer>;
  configData: Record<string, Buffer>;
  /** resolved environment by service (default: the model's explicit values) */
  environments?: Record<string, Record<string, string>>;
  /** image reference to deploy by service (default: the image as written) */
  images?: Record<string, string>;
  /** --scale */
  scale?: Record<string, number>;
  /** `up --build`: the images of services with build: were built and pushed for this deploy */
  built?: boolean;
}

export interface StackSpec {
  services: SwarmServiceSpec[]; // each labelled with its spec hash, its container spec with its task hash
  networks: SwarmNetworkSpec[]; // to create when missing
  externalNetworks: string[]; // must exist, swarm-scoped
  secrets: SwarmObjectSpec[];
  configs: SwarmObjectSpec[];
  externalSecrets: string[];
  externalConfigs: string[];
  warnings: string[];
}

export function stackSpec(project: Project, inputs: StackInputs): StackSpec {
  const selected = inputs.services?.length ? inputs.services : Object.keys(project.services).sort();
  for (const name of selected) if (!project.services[name]) throw new UserError(`no such service: ${name}`);
  for (const name of Object.keys(inputs.scale ?? {})) if (!project.services[name]) throw new UserError(`--scale: no such service: ${name}`);
  const services = selected.map((name) => project.services[name]!);

  const objects = (kind: ObjectKind) => {
    const defs = kind === 'secret' ? project.secrets : project.configs;
    const data = kind === 'secret' ? inputs.secretData : inputs.configData;
    const used = [...new Set(services.flatMap((s) => (kind === 'secret' ? s.secrets : s.configs).map((r) => r.source)))].sort();
    const specs: SwarmObjectSpec[] = [],
      external: string[] = [],
      names: Record<string, string> = {};
    for (const key of used) {
      const def =
        defs[key] ??
        (() => {
          throw new UserError(`${kind} "${key}" is not defined in the top-level ${kind}s`);
        })();
      if (def.external) {
        external.push(def.name);
        names[key] = def.name;
        continue;
      }
      const bytes =
        data[key] ??
        (() => {
          throw new UserError(`${kind} "${key}": its data was not read`);
        })();
      const spec = objectSpec(project.name, kind, def, bytes);
      specs.push(spec);
      names[key] = spec.Name;
    }
    return { specs, external, names };
  };
  const secrets = objects('secret'),
    configs = objects('config');

  const networkKeys = [...new Set(services.filter((s) => !s.networkMode).flatMap((s) => Object.keys(s.networks)))].sort();
  const networks: SwarmNetworkSpec[] = [],
    externalNetworks: string[] = [];
  for (const key of networkKeys) {
    const net =
      project.networks[key] ??
      (() => {
        throw new UserError(`network "${key}" is not defined`);
      })();
    if (net.external) {
      externalNetworks.push(net.name);
      continue;
    }
    const driver = net.driver ?? 'overlay';
    if (driver !== 'overlay')
      throw new UserError(`network "${key}": driver "${driver}" is local to one node; Swarm services need overlay networks`);
    networks.push({
      Name: net.name,
      Driver: driver,
      CheckDuplicate: true,
      ...(Object.keys(net.driverOpts).length ? { Options: net.driverOpts } : {}),
      ...(net.internal ? { Internal: true } : {}),
      ...(net.attachable ? { Attachable: true } : {}),
      ...(net.enableIpv6 ? { EnableIPv6: true } : {}),
      ...(net.ipam
        ? {
            IPAM: {
              Driver: net.ipam.driver,
              Config: net.ipam.config.map((c) => ({
                Subnet: c.subnet,
                Gateway: c.gateway,
                IPRange: c.ipRange,
                AuxiliaryAddresses: c.auxAddresses,
              })),
            },
          }
        : {}),
      Labels: { ...net.labels, [SWARM_LABEL.namespace]: project.name },
    });
  }

  const warnings = services.flatMap((s) => unsupportedWarnings(s, { built: inputs.built }));
  const specs = services.map((service) => {
    const environment =
      inputs.environments?.[service.name] ??
      Object.fromEntries(Object.entries(service.environment).filter((e): e is [string, string] => e[1] !== null));
    const spec = serviceSpec(project, service, {
      environment,
      image: inputs.images?.[service.name] ?? service.image ?? '',
      secretNames: secrets.names,
      configNames: configs.names,
      replicas: inputs.scale?.[service.name],
    });
    const container = spec.TaskTemplate.ContainerSpec;
    container.Labels = { ...container.Labels, [SWARM_LABEL.taskHash]: specHash(spec.TaskTemplate) };
    spec.Labels[SWARM_LABEL.specHash] = specHash(spec);
    return spec;
  });
  return {
    services: specs,
    networks,
    externalNetworks,
    secrets: secrets.specs,
    configs: configs.specs,
    externalSecrets: secrets.external,
    externalConfigs: configs.external,
    warnings,
  };
}
