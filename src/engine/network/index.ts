// network/: bridges, veth endpoints, IPAM, embedded DNS, published ports and the /networks routes.
// Placeholder until networking lands; the factory signature is the contract engine.ts uses.
import type { EngineContext, NetworkService } from '../contracts.js';

export function createNetworkService(_ctx: EngineContext): NetworkService {
  return {
    async attach(opts) {
      return { networks: {}, ports: {}, resolvConf: 'nameserver 127.0.0.1\n', hosts: `127.0.0.1\tlocalhost\n` + `::1\tlocalhost ip6-localhost ip6-loopback\n` + `127.0.1.1\t${opts.hostname}\n` };
    },
    async detach() {},
    registerRoutes() {},
    async restore() {},
  };
}
