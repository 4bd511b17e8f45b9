// Port short syntax "[host_ip:][published[-range]:]target[-range][/protocol]" expanded to the long
// form docker compose prints; a container range becomes one mapping per port.
import { NormalizeError } from './error.js';

export interface LongPort {
  name?: string;
  mode: string;
  host_ip?: string;
  target: number;
  published?: string;
  protocol: string;
  app_protocol?: string;
}

export function parsePortEntry(entry: unknown): LongPort[] {
  if (typeof entry === 'number') return [{ mode: 'ingress', target: entry, protocol: 'tcp' }];
  if (typeof entry === 'string') return parseShortPort(entry);
  if (entry && typeof entry === 'object') {
    const e = entry as Record<string, unknown>;
    const target = toPort(e.target, String(e.target));
    const out: LongPort = { mode: String(e.mode ?? 'ingress'), target, protocol: String(e.protocol ?? 'tcp') };
    if (e.name !== undefined) out.name = String(e.name);
    if (e.host_ip !== undefined) out.host_ip = String(e.host_ip);
    if (e.published !== undefined && e.published !== null && e.published !== '') out.published = String(e.published);
    if (e.app_protocol !== undefined) out.app_protocol = String(e.app_protocol);
    return [out];
  }
  throw new NormalizeError(`invalid port ${JSON.stringify(entry)}`);
}

function parseShortPort(spec: string): LongPort[] {
  let rest = spec.trim();
  let protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protocol = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (!['tcp', 'udp', 'sctp'].includes(protocol))
      throw new NormalizeError(`invalid port "${spec}": unknown protocol "${protocol}" (tcp, udp or sctp)`);
  }
  let hostIp: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new NormalizeError(`invalid port "${spec}": missing "]" after the IPv6 address`);
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 1).replace(/^:/, '');
  }
  const parts = rest.split(':');
  if (hostIp === undefined && parts.length === 3) hostIp = parts.shift();
  else if (hostIp === undefined && parts.length > 3) {
    // an unbracketed IPv6 host address: everything but the last two parts
    const tail = parts.splice(-2);
    hostIp = parts.join(':');
    parts.splice(0, parts.length, ...tail);
  }
  if (parts.length > 2) throw new NormalizeError(`invalid port "${spec}"`);
  const targetSpec = parts.pop()!;
  const publishedSpec = parts.pop();
  const [tStart, tEnd] = parseRange(targetSpec, spec);
  const base = (): Omit<LongPort, 'target'> => ({ mode: 'ingress', ...(hostIp ? { host_ip: hostIp } : {}), protocol });
  if (publishedSpec === undefined || publishedSpec === '') {
    const out: LongPort[] = [];
    for (let p = tStart; p <= tEnd; p++) out.push({ ...base(), target: p } as LongPort);
    return reorder(out);
  }
  const [pStart, pEnd] = parseRange(publishedSpec, spec);
  if (tStart === tEnd) {
    return reorder([{ ...base(), target: tStart, published: pStart === pEnd ? String(pStart) : `${pStart}-${pEnd}` } as LongPort]);
  }
  if (pEnd - pStart !== tEnd - tStart)
    throw new NormalizeError(`invalid port "${spec}": the published and target ranges must have the same size`);
  const out: LongPort[] = [];
  for (let i = 0; i <= tEnd - tStart; i++) out.push({ ...base(), target: tStart + i, published: String(pStart + i) } as LongPort);
  return reorder(out);
}

// key order as docker compose prints it
function reorder(ports: LongPort[]): LongPort[] {
  return ports.map((p) => {
    const o: LongPort = { mode: p.mode } as LongPort;
    if (p.host_ip !== undefined) o.host_ip = p.host_ip;
    o.target = p.target;
    if (p.published !== undefined) o.published = p.published;
    o.protocol = p.protocol;
    return o;
  });
}

function parseRange(s: string, spec: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw new NormalizeError(`invalid port "${spec}": "${s}" is not a port number or range`);
  const start = toPort(m[1], spec);
  const end = m[2] ? toPort(m[2], spec) : start;
  if (end < start) throw new NormalizeError(`invalid port "${spec}": range ${s} ends before it starts`);
  return [start, end];
}

function toPort(v: unknown, spec: string): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new NormalizeError(`invalid port "${spec}": ports are numbers from 0 to 65535`);
  return n;
}

/** The key that identifies a port mapping when files are merged. */
export function portKey(p: LongPort): string {
  return `${p.host_ip ?? ''}|${p.published ?? ''}|${p.target}|${p.protocol}`;
}
