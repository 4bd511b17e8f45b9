// One Linux bridge per network, carrying the gateway address.
import { ip, linkExists, tryRun } from './host.js';

export async function ensureBridge(name: string, gatewayCidr: string): Promise<void> {
  if (!(await linkExists(name))) await ip('link', 'add', 'name', name, 'type', 'bridge');
  await ip('addr', 'replace', gatewayCidr, 'dev', name);
  await ip('link', 'set', 'dev', name, 'up');
}

export async function removeBridge(name: string): Promise<void> {
  await tryRun('ip', ['link', 'del', 'dev', name]);
}
