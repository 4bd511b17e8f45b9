// The networks themselves as records: the builtin ones every engine has, and a user network made from a
// create request, checked the way Docker checks it.
import { conflict, forbidden, internal, invalid } from '../errors.js';
import type { NetworkCreateRequest } from '../contracts.js';
import { planAddressing, randomId } from './addressing.js';
import { isIPv6Config, planAddressing6 } from './addressing6.js';
import { formatCidr, formatIPv4, type Subnet } from './cidr.js';
import { allocateSubnet, firstHost } from './ipam.js';
import { bridgeName, type NetworkOptions } from './options.js';
import type { NetworkRecord } from './state.js';

/** The network of a bridge-mode container that names none. */
export const DEFAULT_NETWORK = 'bridge';

export const BUILTIN_NETWORKS: readonly [string, NetworkRecord['driver']][] = [
  [DEFAULT_NETWORK, 'bridge'],
  ['host', 'host'],
  ['none', 'null'],
];

// Docker Engine takes any network name (spaces included: docker-py's tests make such networks); one with a
// slash could not be named in an API path, and control characters have no place in one
const NAME_PATTERN = /^[^/\x00-\x1f\x7f]+$/;

/** `taken` gives the subnets a pool subnet must not overlap (host routes, other networks): only asked when needed. */
type TakenSubnets = () => Promise<Subnet[]>;

/** A builtin network; the default bridge gets a subnet from the pools. */
export async function builtinNetwork(
  name: string,
  driver: NetworkRecord['driver'],
  options: NetworkOptions,
  taken: TakenSubnets,
): Promise<NetworkRecord> {
  const record = newRecord(name, driver, true);
  if (driver === 'bridge') {
    const subnet = allocateSubnet(options.pools, await taken());
    if (!subnet) throw internal('no free subnet in the address pools for the default bridge network');
    Object.assign(record, {
      subnet: formatCidr(subnet),
      autoSubnet: true,
      gateway: formatIPv4(firstHost(subnet)),
      bridge: bridgeName(options, record.id),
    });
  }
  return record;
}

/** Rejects a request the bundled engine cannot make, before anything is locked or read. */
export function checkCreateRequest(req: NetworkCreateRequest): void {
  const name = req.name;
  if (!NAME_PATTERN.test(name))
    throw invalid(`invalid network name ${JSON.stringify(name)}: a name must not be empty nor hold a slash or control characters`);
  const driver = req.driver || 'bridge';
  if (driver !== 'bridge') throw invalid(`network driver "${driver}" is not supported by the bundled engine: only "bridge"`);
}

/** The record of a new user network (a checked request), among `existing` ones. */
export async function userNetwork(
  req: NetworkCreateRequest,
  existing: NetworkRecord[],
  options: NetworkOptions,
  taken: TakenSubnets,
): Promise<NetworkRecord> {
  const name = req.name;
  if (BUILTIN_NETWORKS.some(([builtin]) => builtin === name)) throw forbidden(`operation is not permitted on predefined ${name} network `); // Docker's words, trailing space too
  // two networks may share a name (references to it by name are then ambiguous) unless the client asks otherwise
  if (req.checkDuplicate && existing.some((n) => n.name === name)) throw conflict(`network with name ${name} already exists`);
  const record = newRecord(name, 'bridge', false);
  record.internal = Boolean(req.internal);
  record.attachable = Boolean(req.attachable);
  record.labels = req.labels ?? {};
  record.options = req.options ?? {};
  record.ipamOptions = req.ipamOptions ?? null; // Docker shows null when the request gave none
  record.bridge = record.options['com.docker.network.bridge.name'] || bridgeName(options, record.id);
  const config = (req.ipamConfig ?? []).filter((c) => !isIPv6Config(c))[0];
  Object.assign(record, planAddressing6(name, Boolean(req.enableIPv6), req.ipamConfig ?? [], existing));
  Object.assign(record, planAddressing(name, config, existing, config?.subnet ? [] : await taken(), options.pools));
  return record;
}

function newRecord(name: string, driver: NetworkRecord['driver'], builtin: boolean): NetworkRecord {
  return {
    id: randomId(),
    name,
    created: new Date().toISOString(),
    driver,
    builtin,
    internal: false,
    attachable: false,
    labels: {},
    options: {},
    ipamOptions: null,
  };
}
