// NetworkSettings.Networks as Docker shows it: every network the container belongs to, from the moment it is
// created (clients such as docker-compose v1 read it to decide whether to disconnect before connecting), with
// the endpoint's configuration (IPAMConfig, Links, Aliases, DriverOpts, MacAddress) and, while its network
// namespace exists, the live addresses.
import type { EndpointSettings } from '../contracts.js';
import { modeNetworkOf, type ContainerRecord } from './record.js';

const EMPTY_ENDPOINT = {
  IPAMConfig: null,
  Links: null,
  Aliases: null,
  MacAddress: '',
  DriverOpts: null,
  NetworkID: '',
  EndpointID: '',
  Gateway: '',
  IPAddress: '',
  IPPrefixLen: 0,
  IPv6Gateway: '',
  GlobalIPv6Address: '',
  GlobalIPv6PrefixLen: 0,
};

/** The network named by NetworkMode, when it is one (not host, none or another container's). */
function modeNetwork(rec: ContainerRecord): string | undefined {
  const mode = rec.hostConfig.NetworkMode as string | undefined;
  return !mode || mode === 'default' || mode === 'bridge' ? 'bridge' : modeNetworkOf(rec);
}

export function networksView(rec: ContainerRecord, live: boolean): Record<string, Record<string, unknown>> {
  const current = live ? (rec.networkSettings.networks ?? {}) : {};
  const configs = rec.endpointsConfig ?? {};
  // 'default' in EndpointsConfig means the NetworkMode's network, never a network of that name
  const names = [modeNetwork(rec), ...Object.keys(configs), ...Object.keys(current)].filter((n): n is string => !!n && n !== 'default');
  const out: Record<string, Record<string, unknown>> = {};
  for (const name of names) {
    if (out[name]) continue;
    const c = configs[name] ?? {};
    const known = (rec.networkSettings.networks ?? {})[name];
    out[name] = {
      ...EMPTY_ENDPOINT,
      IPAMConfig: c.IPAMConfig ?? null,
      Links: c.Links ?? null,
      Aliases: c.Aliases ?? null,
      DriverOpts: c.DriverOpts ?? null,
      MacAddress: c.MacAddress ?? '',
      NetworkID: c.NetworkID ?? known?.NetworkID ?? '',
      ...(current[name] as Partial<EndpointSettings> | undefined), // the live addresses, while it has them
    };
  }
  return out;
}
