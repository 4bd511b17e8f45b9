// One Linux bridge per network, carrying the gateway address.
import { HostCommandError, ipBatch, tryRun } from './host.js';

/** One `ip -batch`: create, address(es), up; when the bridge already exists (engine restart), address and up.
 *  `gateway6Cidr`: the IPv6 gateway of a network with IPv6 enabled. */
export async function ensureBridge(name: string, gatewayCidr: string, gateway6Cidr?: string): Promise<void> {
  const configure = [
    ['addr', 'replace', gatewayCidr, 'dev', name],
    ...(gateway6Cidr ? [['addr', 'replace', gateway6Cidr, 'dev', name, 'nodad']] : []),
    ['link', 'set', 'dev', name, 'up'],
  ];
  try {
    await ipBatch([['link', 'add', 'name', name, 'type', 'bridge'], ...configure]);
  } catch (err) {
    if (!(err instanceof HostCommandError) || !/File exists/i.test(err.stderr)) throw err;
    await ipBatch(configure);
  }
}

export async function removeBridge(name: string): Promise<void> {
  await tryRun('ip', ['link', 'del', 'dev', name]);
}
