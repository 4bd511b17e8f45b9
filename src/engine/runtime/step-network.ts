// The network of a build step (and any other one-shot process): like Docker's classic builder, each run
// gets a container-like attachment from the network service: by default a network namespace of its own
// on the default "bridge" network (an address, a default route, NAT to the outside, the host's upstream
// resolvers in /etc/resolv.conf, not any embedded DNS), or on a named network; "none" gives loopback
// only; the host's namespace only when the user asks for "host". The attachment is released after the run.
import { randomBytes } from 'node:crypto';
import { invalid, notFound } from '../errors.js';
import type { NetworkService, OneShotRunner } from '../contracts.js';

type AttachMode = Parameters<NetworkService['attach']>[0]['mode'];

/** The attach mode and endpoints of a build's network mode (POST /build `networkmode`). */
export function stepNetworkMode(network: string | undefined): { mode: AttachMode; network?: string } {
  const n = network ?? '';
  if (n === '' || n === 'default' || n === 'bridge') return { mode: 'bridge' };
  if (n === 'host' || n === 'none') return { mode: n };
  if (n.startsWith('container:')) throw invalid(`network mode ${n} is not supported for builds`);
  return { mode: 'bridge', network: n };
}

/** Wraps a runner so that each run is attached to its network through `networks` (attach/detach). */
export function withStepNetworks(runner: OneShotRunner, networks: NetworkService): OneShotRunner {
  return {
    async checkNetwork(network) {
      const { network: name } = stepNetworkMode(network);
      if (name === undefined || !networks.findNetwork) return;
      const found = await networks.findNetwork(name);
      if (!found) throw notFound(`network ${name} not found`);
      if (found.name === 'host' || found.name === 'none')
        throw invalid(`network ${name} cannot be used as a build network: use network mode ${found.name}`);
    },
    async runOneShot(opts) {
      if (opts.sandbox) return runner.runOneShot(opts);
      const { mode, network } = stepNetworkMode(opts.network);
      const id = opts.id ?? randomBytes(32).toString('hex');
      const hostname = id.slice(0, 12);
      const attachment = await networks.attach({
        containerId: id,
        containerName: `build-step-${hostname}`,
        hostname,
        mode,
        endpoints: network ? [{ network, aliases: [] }] : [],
        portBindings: {},
        publishAll: false,
        exposedPorts: [],
        extraHosts: opts.extraHosts ?? [],
        dns: [],
        dnsSearch: [],
        dnsOptions: [],
      });
      try {
        return await runner.runOneShot({
          ...opts,
          id,
          sandbox: {
            host: mode === 'host',
            netnsPath: attachment.netnsPath,
            hostname,
            hosts: attachment.hosts,
            resolvConf: attachment.resolvConf,
          },
        });
      } finally {
        await networks.detach(id);
      }
    },
  };
}
