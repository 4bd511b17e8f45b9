// POST /networks/{id}/connect and /disconnect as Docker does them: a running container gets or loses an
// interface at once; a created or stopped one records the change in its EndpointsConfig, applied at its
// next start. Either way the record keeps the membership, so a restart keeps its networks.
import { forbidden, notFound, notImplemented } from '../errors.js';
import type { NetworkService } from '../contracts.js';
import { modeNetworkOf, type ContainerRecord } from './record.js';
import type { EndpointConfig } from './docker-config.js';
import { linksOf } from './links.js';

async function mustFindNetwork(networks: NetworkService, ref: string): Promise<{ id: string; name: string }> {
  const net = await networks.findNetwork?.(ref);
  if (!net) throw notFound(`network ${ref} not found`);
  return net;
}

/** What connect and disconnect need of the containers: find one, store its changed record. */
export interface ContainerRecords {
  get(ref: string): ContainerRecord;
  save(rec: ContainerRecord): Promise<void>;
}

export async function connectContainer(
  containers: ContainerRecords,
  networks: NetworkService,
  networkRef: string,
  containerRef: string,
  config: EndpointConfig = {},
): Promise<void> {
  const rec = containers.get(containerRef);
  const net = await mustFindNetwork(networks, networkRef);
  const endpoints = rec.endpointsConfig ?? {};
  if (rec.state.running) {
    if (!networks.connect) throw notImplemented('this engine cannot connect running containers');
    await networks.connect(net.id, rec.id, {
      aliases: config.Aliases ?? [],
      ipv4Address: config.IPAMConfig?.IPv4Address || undefined,
      ipv6Address: config.IPAMConfig?.IPv6Address || undefined,
      macAddress: config.MacAddress || undefined,
      ...(linksOf(config.Links) ? { links: linksOf(config.Links) } : {}),
    });
  } else if (endpoints[net.name] || endpoints[net.id] || modeNetworkOf(rec) === net.name) {
    throw forbidden(`endpoint with name ${rec.name.slice(1)} already exists in network ${net.name}`);
  }
  if (rec.hostConfig.NetworkMode === net.name || rec.hostConfig.NetworkMode === net.id) rec.leftModeNetwork = undefined;
  rec.endpointsConfig = { ...endpoints, [net.name]: { ...config, NetworkID: net.id } };
  await containers.save(rec);
}

export async function disconnectContainer(
  containers: ContainerRecords,
  networks: NetworkService,
  networkRef: string,
  containerRef: string,
): Promise<void> {
  const rec = containers.get(containerRef);
  const net = await mustFindNetwork(networks, networkRef);
  const endpoints = { ...(rec.endpointsConfig ?? {}) };
  const viaMode = modeNetworkOf(rec) !== undefined && (rec.hostConfig.NetworkMode === net.name || rec.hostConfig.NetworkMode === net.id);
  const recorded = net.name in endpoints || net.id in endpoints || viaMode;
  if (rec.state.running) {
    if (!networks.disconnect) throw notImplemented('this engine cannot disconnect running containers');
    await networks.disconnect(net.id, rec.id);
  } else if (!recorded) {
    throw notFound(`container ${containerRef} is not connected to network ${net.name}`);
  }
  delete endpoints[net.name];
  delete endpoints[net.id];
  if (viaMode && !rec.state.running) rec.leftModeNetwork = true;
  rec.endpointsConfig = endpoints;
  await containers.save(rec);
}
