// Turns HostConfig.PortBindings / PublishAllPorts / ExposedPorts into the list of host ports to open.
import { invalid } from '../errors.js';
import type { PortBinding } from '../contracts.js';

export type PortProtocol = 'tcp' | 'udp';

export interface PortRequest {
  key: string; // "80/tcp", as reported back
  protocol: PortProtocol;
  containerPort: number;
  hostIp: string; // "" = every address
  /** inclusive host port range; 0..0 = any free port */
  hostPortFrom: number;
  hostPortTo: number;
}

export function parsePortKey(key: string): { port: number; protocol: PortProtocol } {
  const [portText = '', protocol = 'tcp'] = key.split('/');
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw invalid(`invalid container port "${key}"`);
  if (protocol !== 'tcp' && protocol !== 'udp')
    throw invalid(`unsupported protocol "${protocol}" in port "${key}": tcp and udp are supported`);
  return { port, protocol };
}

export const normalizePortKey = (key: string): string => {
  const { port, protocol } = parsePortKey(key);
  return `${port}/${protocol}`;
};

function parseHostPortRange(text: string, key: string): [number, number] {
  if (text === '' || text === '0') return [0, 0];
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  const from = Number(m?.[1]);
  const to = Number(m?.[2] ?? m?.[1]);
  if (!m || from < 1 || to > 65535 || to < from) throw invalid(`invalid host port "${text}" for container port ${key}`);
  return [from, to];
}

export function planPortRequests(
  bindings: Record<string, PortBinding[] | null>,
  publishAll: boolean,
  exposedPorts: string[],
): PortRequest[] {
  const requests: PortRequest[] = [];
  const bound = new Set<string>();
  for (const [rawKey, list] of Object.entries(bindings)) {
    const key = normalizePortKey(rawKey);
    const { port, protocol } = parsePortKey(key);
    bound.add(key);
    for (const b of list?.length ? list : [{ HostIp: '', HostPort: '' }]) {
      const [hostPortFrom, hostPortTo] = parseHostPortRange(b.HostPort ?? '', key);
      requests.push({ key, protocol, containerPort: port, hostIp: b.HostIp ?? '', hostPortFrom, hostPortTo });
    }
  }
  if (publishAll) {
    for (const raw of exposedPorts) {
      const key = normalizePortKey(raw);
      if (bound.has(key)) continue;
      const { port, protocol } = parsePortKey(key);
      requests.push({ key, protocol, containerPort: port, hostIp: '', hostPortFrom: 0, hostPortTo: 0 });
    }
  }
  return requests;
}

/** The `ports` map reported by inspect: every exposed or bound port, null when not published. */
export function reportPorts(exposedPorts: string[], opened: { key: string; binding: PortBinding }[]): Record<string, PortBinding[] | null> {
  const ports: Record<string, PortBinding[] | null> = {};
  for (const raw of exposedPorts) {
    try {
      ports[normalizePortKey(raw)] = null;
    } catch {
      /* ignore malformed image metadata */
    }
  }
  for (const { key, binding } of opened) (ports[key] ??= []).push(binding);
  return ports;
}
