// POST /networks/{id}/connect and /disconnect as Docker does them: a running container gets or loses an
// interface at once; a created or stopped one records the change in its EndpointsConfig, applied at its
// next start. Either way the record keeps the membership, so a restart keeps its networks.
import { forbidden, notFound, notImplemented } from '../errors.js';
import type { NetworkService } from '../contracts.js';
import type { ContainerService } from './service.js';
import { modeNetworkOf } from './record.js';
import { linksOf } from './links.js';

export interface EndpointConfigBody {
  Aliases?: string[] | null;
  IPAMConfig?: { IPv4Address?: string } | null;
  MacAddress?: string;
  Links?: string[] | null;
}

async function mustFindNetwork(networks: NetworkService, ref: string): Promise<{ id: string; name: string }> {
  const net = await networks.findNetwork?.(ref);
  if (!net) throw notFound(`network ${ref} not found`);
  return net;
}

export async function connectContainer(containers: ContainerService, networks: NetworkService, networkRef: string, containerRef: string, config: EndpointConfigBody = {}): Promise<void> {
  const rec = containers.get(containerRef);
  const net = await mustFindNetwork(networks, networkRef);
  const endpoints = rec.NetworkingConfig.EndpointsConfig ?? {};
  if (rec.State.Running) {
    if (!networks.connect) throw notImplemented('this engine cannot connect running containers');
    await networks.connect(net.id, rec.Id, { aliases: config.Aliases ?? [], ipv4Address: config.IPAMConfig?.IPv4Address || undefined, macAddress: config.MacAddress || undefined, ...(linksOf(config.Links) ? { links: linksOf(config.Links) } : {}) });
  } else if (endpoints[net.name] || endpoints[net.id] || modeNetworkOf(rec) === net.name) {
    throw forbidden(`endpoint with name ${rec.Name.slice(1)} already exists in network ${net.name}`);
  }
  if (rec.HostConfig.NetworkMode === net.name || rec.HostConfig.NetworkMode === net.id) rec.LeftModeNetwork = undefined;
  rec.NetworkingConfig = { ...rec.NetworkingConfig, EndpointsConfig: { ...endpoints, [net.name]: { ...config, NetworkID: net.id } } };
  await containers.store.save(rec);
}

export async function disconnectContainer(containers: ContainerService, networks: NetworkService, networkRef: string, containerRef: string): Promise<void> {
  const rec = containers.get(containerRef);
  const net = await mustFindNetwork(networks, networkRef);
  const endpoints = { ...(rec.NetworkingConfig.EndpointsConfig ?? {}) };
  const viaMode = modeNetworkOf(rec) !== undefined && (rec.HostConfig.NetworkMode === net.name || rec.HostConfig.NetworkMode === net.id);
  const recorded = net.name in endpoints || net.id in endpoints || viaMode;
  if (rec.State.Running) {
    if (!networks.disconnect) throw notImplemented('this engine cannot disconnect running containers');
    await networks.disconnect(net.id, rec.Id);
  } else if (!recorded) {
    throw notFound(`container ${containerRef} is not connected to network ${net.name}`);
  }
  delete endpoints[net.name];
  delete endpoints[net.id];
  if (viaMode && !rec.State.Running) rec.LeftModeNetwork = true;
  rec.NetworkingConfig = { ...rec.NetworkingConfig, EndpointsConfig: endpoints };
  await containers.store.save(rec);
}
