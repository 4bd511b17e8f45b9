// The /networks routes of the Docker Engine API, over the network subsystem's NetworkManagement.
// POST /networks/{id}/connect and /disconnect act on containers: api/network-membership-routes.ts serves them.
import type { NetworkCreateRequest, NetworkManagement } from '../contracts.js';
import { invalid } from '../errors.js';
import { parseCidr } from '../network/cidr.js';
import type { NetworkRecord } from '../network/state.js';
import { parseFilters, readJson, sendJson, sendNoContent } from './http.js';
import type { Router } from './router.js';

export function registerNetworkRoutes(router: Router, networks: NetworkManagement): void {
  router.add('GET', '/networks', async ({ res, query }) => {
    const filters = parseFilters(query);
    const list = (await networks.networks()).filter((n) => matchesFilters(networks, n, filters));
    sendJson(
      res,
      200,
      list.map((n) => inspectNetwork(networks, n)),
    );
  });

  router.add('POST', '/networks/create', async ({ req, res }) => {
    const body = await readJson<NetworkCreateBody>(req);
    const net = await networks.createNetwork(networkCreateRequest(body));
    const namesake = (await networks.networks()).find((n) => n.name === net.name && n.id !== net.id);
    const warning = namesake ? `Network with name ${net.name} (id : ${namesake.id}) already exists` : '';
    sendJson(res, 201, { Id: net.id, Warning: warning });
  });

  router.add('POST', '/networks/prune', async ({ res, query }) => {
    const filters = parseFilters(query);
    const removed = await networks.prune(
      (n) => !matchesFilters(networks, n, { label: filters.label ?? [], 'label!': filters['label!'] ?? [], until: filters.until ?? [] }),
    );
    sendJson(res, 200, { NetworksDeleted: removed });
  });

  router.add('GET', '/networks/:id', async ({ res, params }) => {
    const net = await networks.findNetwork(params.id!);
    if (!net) return sendJson(res, 404, { message: `network ${params.id} not found` });
    sendJson(res, 200, inspectNetwork(networks, net));
  });

  router.add('DELETE', '/networks/:id', async ({ res, params }) => {
    await networks.removeNetwork(params.id!);
    sendNoContent(res);
  });
}

/** Docker's POST /networks/create body (what it holds besides this is ignored, as before: Scope, ConfigFrom,
 *  IPAM.Driver …). */
interface NetworkCreateBody {
  Name?: string;
  CheckDuplicate?: boolean;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  Labels?: Record<string, string> | null;
  Options?: Record<string, string> | null;
  IPAM?: { Driver?: string; Options?: Record<string, string> | null; Config?: IpamConfigBody[] | null } | null;
}

interface IpamConfigBody {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** The domain request; null (which Docker's clients send for unset maps) is the same as absent. */
function networkCreateRequest(body: NetworkCreateBody): NetworkCreateRequest {
  return {
    name: body.Name ?? '',
    driver: body.Driver,
    internal: body.Internal,
    attachable: body.Attachable,
    enableIPv6: body.EnableIPv6,
    labels: body.Labels ?? undefined,
    options: body.Options ?? undefined,
    ipamOptions: body.IPAM?.Options ?? undefined,
    checkDuplicate: body.CheckDuplicate,
    ipamConfig: (body.IPAM?.Config ?? []).map((c) => ({
      subnet: c.Subnet,
      ipRange: c.IPRange,
      gateway: c.Gateway,
      auxiliaryAddresses: c.AuxiliaryAddresses,
    })),
  };
}

export function inspectNetwork(networks: NetworkManagement, net: NetworkRecord): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  for (const ep of networks.endpointsOf(net.id)) {
    containers[ep.containerId] = {
      Name: networks.containerName(ep.containerId),
      EndpointID: ep.id,
      MacAddress: ep.mac,
      IPv4Address: `${ep.ip}/${parseCidr(net.subnet!)!.prefix}`,
      IPv6Address: ep.ip6 && net.ipam6 ? `${ep.ip6}/${net.ipam6.subnet.split('/')[1]}` : '',
    };
  }
  const config = net.subnet
    ? [
        {
          Subnet: net.subnet,
          Gateway: net.gateway,
          ...(net.ipRange ? { IPRange: net.ipRange } : {}),
          ...(Object.keys(net.auxAddresses ?? {}).length ? { AuxiliaryAddresses: net.auxAddresses } : {}),
        },
        ...(net.ipam6 ? [{ Subnet: net.ipam6.subnet, ...(net.ipam6.gateway ? { Gateway: net.ipam6.gateway } : {}) }] : []),
      ]
    : [];
  return {
    Name: net.name,
    Id: net.id,
    Created: net.created,
    Scope: 'local',
    Driver: net.driver,
    EnableIPv6: Boolean(net.enableIPv6),
    IPAM: { Driver: 'default', Options: net.ipamOptions ?? null, Config: config },
    Internal: net.internal,
    Attachable: net.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options:
      net.builtin && net.driver === 'bridge'
        ? { 'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.name': net.bridge, ...net.options }
        : net.options,
    Labels: net.labels,
  };
}

function matchesLabel(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf('=');
  return eq < 0 ? filter in labels : labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

function matchesFilters(networks: NetworkManagement, net: NetworkRecord, filters: Record<string, string[]>): boolean {
  const checks: Record<string, (value: string) => boolean> = {
    name: (v) => net.name.includes(v),
    id: (v) => net.id.startsWith(v),
    driver: (v) => net.driver === v,
    scope: (v) => v === 'local',
    type: (v) => (v === 'builtin' ? net.builtin : v === 'custom' ? !net.builtin : false),
    dangling: (v) => (v === 'true' || v === '1') === (!net.builtin && networks.endpointsOf(net.id).length === 0),
    label: (v) => matchesLabel(net.labels, v),
    'label!': (v) => !matchesLabel(net.labels, v),
    until: (v) => Date.parse(net.created) <= untilMillis(v),
  };
  for (const [key, values] of Object.entries(filters)) {
    const check = checks[key];
    if (!check) throw invalid(`invalid filter '${key}'`);
    if (!values.length) continue;
    // labels must all match; other filters match when any value does
    const ok = key.startsWith('label') ? values.every(check) : values.some(check);
    if (!ok) return false;
  }
  return true;
}

function untilMillis(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const duration = /^(\d+)(s|m|h)$/.exec(v);
  if (duration) return Date.now() - Number(duration[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[duration[2] as 's' | 'm' | 'h'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalid(`invalid until filter "${v}"`);
  return t;
}
