// Legacy container links (HostConfig.Links, default bridge only) as Docker's: `<ALIAS>_PORT…`, `<ALIAS>_NAME` and
// `<ALIAS>_ENV_…` variables in the process environment, and an /etc/hosts line for the alias, hostname and name.
import { conflict, notFound } from '../errors.js';
import type { ContainerRecord } from './record.js';
import { byCodepoint } from '../../codepoint-order.js';

export interface Link {
  child: string;
  alias: string;
}

/** "name:alias", "name" or Docker's stored "/name:/parent/alias". */
export function parseLink(spec: string): Link {
  const [child = '', alias] = spec.split(':');
  const name = child.replace(/^\//, '');
  return { child: name, alias: (alias ?? name).split('/').pop()! };
}

/** What inspect shows, as Docker stores it: "/child:/parent/alias". */
export function normalizeLinks(
  links: string[] | null | undefined,
  parentName: string,
  find: (ref: string) => ContainerRecord | undefined,
): string[] | null {
  if (!links?.length) return links ?? null;
  return links.map((spec) => {
    const { child, alias } = parseLink(spec);
    const rec = find(child);
    if (!rec) throw notFound(`Could not get container for ${child}`);
    return `${rec.name}:${parentName}/${alias}`;
  });
}

function sortedPorts(exposed: string[]): { port: string; proto: string }[] {
  return exposed
    .map((k) => {
      const [port = '', proto = 'tcp'] = k.split('/');
      return { port, proto };
    })
    .sort((a, b) => Number(a.port) - Number(b.port) || (a.proto === 'tcp' ? -1 : b.proto === 'tcp' ? 1 : byCodepoint(a.proto, b.proto)));
}

export interface LinkSetup {
  env: string[];
  hosts: string[];
}

/** The environment and extra host entries of a container's links; every linked container must be running. */
export function linkSetup(rec: ContainerRecord, find: (ref: string) => ContainerRecord | undefined): LinkSetup {
  const env: string[] = [];
  const hosts: string[] = [];
  for (const spec of (rec.hostConfig.Links as string[] | null) ?? []) {
    const { child, alias } = parseLink(spec);
    const c = find(child);
    const linkName = `${rec.name}/${alias}`;
    if (!c || !c.state.running) throw conflict(`Cannot link to a non running container: /${child} AS ${linkName}`);
    const ip = (c.networkSettings.networks?.bridge as { IPAddress?: string } | undefined)?.IPAddress ?? '';
    const prefix = alias.toUpperCase().replace(/-/g, '_');
    const ports = sortedPorts(Object.keys(c.config.ExposedPorts ?? {}));
    if (ports[0]) env.push(`${prefix}_PORT=${ports[0].proto}://${ip}:${ports[0].port}`);
    for (const { port, proto } of ports) {
      const p = `${prefix}_PORT_${port}_${proto.toUpperCase()}`;
      env.push(`${p}=${proto}://${ip}:${port}`, `${p}_ADDR=${ip}`, `${p}_PORT=${port}`, `${p}_PROTO=${proto}`);
    }
    env.push(`${prefix}_NAME=${linkName}`);
    for (const e of (c.config.Env as string[] | undefined) ?? []) {
      const eq = e.indexOf('=');
      if (eq < 0) continue;
      const key = e.slice(0, eq);
      if (key === 'HOME' || key === 'PATH') continue;
      env.push(`${prefix}_ENV_${key}=${e.slice(eq + 1)}`);
    }
    const names = [alias, c.config.Hostname as string];
    if (alias !== c.name.slice(1)) names.push(c.name.slice(1));
    if (ip) hosts.push(`${names.join(' ')}:${ip}`);
  }
  return { env, hosts };
}

/** An endpoint's legacy links on a user network (NetworkingConfig, POST /networks/{id}/connect) as "container:alias" ("container" alone links under its own name). */
export function linksOf(links: string[] | null | undefined): string[] | undefined {
  if (!links?.length) return undefined;
  return links.map((l) => {
    const [name = '', alias] = l.replace(/^\//, '').split(':');
    return `${name}:${alias || name}`;
  });
}
