// network/: bridges, veth endpoints, IPAM, embedded DNS and published ports.
import type { EngineContext } from '../contracts.js';
import { networkOptions, type NetworkOptions } from './options.js';
import { BridgeNetworkService } from './service.js';

export type { NetworkOptions } from './options.js';
export { BridgeNetworkService } from './service.js';

/** `overrides` is for tests and embedding: interface/chain name prefixes, address pools, DNS port. */
export function createNetworkService(ctx: EngineContext, overrides: Partial<NetworkOptions> = {}): BridgeNetworkService {
  return new BridgeNetworkService(ctx, networkOptions(overrides));
}
