// The /etc/resolv.conf and /etc/hosts a container gets.
import { invalid } from '../errors.js';
import type { HostResolvConf } from './host.js';

export interface ExtraHost {
  name: string;
  ip: string;
}

/** ExtraHosts entries "name:ip" (the ip may be IPv6, or "host-gateway"). */
export function parseExtraHosts(entries: string[], hostGateway: string | undefined): ExtraHost[] {
  return entries.map((entry) => {
    const sep = entry.search(/[:=]/);
    const name = entry.slice(0, sep);
    let ip = entry.slice(sep + 1).replace(/^\[(.*)\]$/, '$1');
    if (sep <= 0 || !ip) throw invalid(`invalid extra host "${entry}": expected "name:ip"`);
    if (ip === 'host-gateway') {
      if (!hostGateway) throw invalid(`extra host "${entry}": host-gateway needs the container on a bridge network`);
      ip = hostGateway;
    }
    return { name, ip };
  });
}

export function buildHosts(opts: { hostname: string; addresses: string[]; extraHosts: ExtraHost[] }): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    ...opts.extraHosts.map((h) => `${h.ip}\t${h.name}`),
  ];
  // the first address of each family names the container, as Docker writes it
  const primary = opts.addresses.find((a) => !a.includes(':'));
  const primary6 = opts.addresses.find((a) => a.includes(':'));
  if (primary) lines.push(`${primary}\t${opts.hostname}`);
  if (primary6) lines.push(`${primary6}\t${opts.hostname}`);
  return lines.join('\n') + '\n';
}

const isLoopback = (ip: string) => ip.startsWith('127.') || ip === '::1';

export function buildResolvConf(conf: HostResolvConf): string {
  const lines: string[] = [];
  for (const ns of conf.nameservers) lines.push(`nameserver ${ns}`);
  if (conf.search.length) lines.push(`search ${conf.search.join(' ')}`);
  if (conf.options.length) lines.push(`options ${conf.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

/** On the default bridge (no embedded DNS) a container uses the host's resolvers, as with Docker. */
export function resolvConfWithoutEmbeddedDns(host: HostResolvConf, dns: string[], dnsSearch: string[], dnsOptions: string[]): string {
  let nameservers = dns.length ? dns : host.nameservers.filter((ns) => !isLoopback(ns));
  if (nameservers.length === 0) nameservers = ['8.8.8.8', '8.8.4.4'];
  return buildResolvConf({
    nameservers,
    search: dnsSearch.length ? dnsSearch : host.search,
    options: dnsOptions.length ? dnsOptions : host.options,
  });
}

/** On user networks the embedded DNS on the gateway answers; ndots:0 as Docker does, so names are tried as given first. */
export function resolvConfWithEmbeddedDns(server: string, dnsSearch: string[], dnsOptions: string[]): string {
  return buildResolvConf({ nameservers: [server], search: dnsSearch, options: dnsOptions.length ? dnsOptions : ['ndots:0'] });
}
