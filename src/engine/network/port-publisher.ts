// Port publishing: the userland proxies (port-proxy.ts) of each container's published ports, opened when it
// attaches, closed when it detaches, and opened again for running containers after an engine restart.
import { internal } from '../errors.js';
import type { Logger } from '../log.js';
import type { PortBinding } from '../contracts.js';
import type { PortRequest } from './port-bindings.js';
import { PortAllocatedError, openProxyInRange, reopenProxy, type OpenProxy } from './port-proxy.js';
import type { AttachedContainer, EndpointRecord } from './state.js';

/** One published port: the container port key ("80/tcp") and the proxy listening for it. */
export interface PublishedPort {
  key: string;
  proxy: OpenProxy;
}

export class PortPublisher {
  /** the proxies this process holds, by container id */
  private readonly proxies = new Map<string, OpenProxy[]>();

  constructor(private readonly log: Logger) {}

  /** Opens a proxy per request towards `target`; when one fails, closes those already opened and throws. */
  async open(requests: PortRequest[], target: EndpointRecord, containerName: string): Promise<PublishedPort[]> {
    const opened: PublishedPort[] = [];
    try {
      for (const req of requests) opened.push({ key: req.key, proxy: await openOne(req, target, containerName) });
    } catch (err) {
      await Promise.all(opened.map((o) => o.proxy.close()));
      throw err;
    }
    return opened;
  }

  /** The container's proxies, held until `release` (call once its record is committed). */
  hold(containerId: string, published: PublishedPort[]): void {
    this.proxies.set(
      containerId,
      published.map((p) => p.proxy),
    );
  }

  async release(containerId: string): Promise<void> {
    await Promise.all((this.proxies.get(containerId) ?? []).map((p) => p.close()));
    this.proxies.delete(containerId);
  }

  /** After an engine restart: the proxies of a running container's published ports, unless already held. */
  async reopen(record: AttachedContainer): Promise<void> {
    if (this.proxies.has(record.id) || !record.portTargetIp) return;
    this.proxies.set(record.id, await reopenProxies(record, this.log));
  }

  /** Engine shutdown: every proxy of this process. */
  async closeAll(): Promise<void> {
    for (const proxies of this.proxies.values()) await Promise.all(proxies.map((p) => p.close()));
    this.proxies.clear();
  }
}

/** The bindings inspect reports for what was published: a proxy on every address is two, 0.0.0.0 and ::. */
export const bindingsOf = (published: PublishedPort[]): { key: string; binding: PortBinding }[] =>
  published.flatMap((p) => {
    const HostPort = String(p.proxy.hostPort);
    const v4 = { key: p.key, binding: { HostIp: p.proxy.hostIp, HostPort } };
    return p.proxy.dualStack ? [v4, { key: p.key, binding: { HostIp: '::', HostPort } }] : [v4];
  });

async function openOne(req: PortRequest, target: EndpointRecord, containerName: string): Promise<OpenProxy> {
  try {
    return await openProxyInRange(
      { protocol: req.protocol, hostIp: req.hostIp, containerIp: target.ip, containerPort: req.containerPort },
      req.hostPortFrom,
      req.hostPortTo,
    );
  } catch (err) {
    if (err instanceof PortAllocatedError) {
      throw internal(`driver failed programming external connectivity on endpoint ${containerName} (${target.id}): ${err.message}`);
    }
    throw internal(`publishing port ${req.key} of ${containerName} failed: ${(err as Error).message}`);
  }
}

async function reopenProxies(record: AttachedContainer, log: Logger): Promise<OpenProxy[]> {
  const opened: OpenProxy[] = [];
  for (const [key, bindings] of Object.entries(record.ports)) {
    const [port, protocol] = key.split('/');
    // 0.0.0.0 and :: on one port are the two halves of one dual-stack proxy (see bindingsOf)
    const dualStack = (b: PortBinding) =>
      (bindings ?? []).some((o) => o !== b && o.HostPort === b.HostPort && [o.HostIp, b.HostIp].sort().join() === '0.0.0.0,::');
    for (const b of bindings ?? []) {
      if (b.HostIp === '::' && dualStack(b)) continue;
      try {
        opened.push(
          await reopenProxy({
            protocol: protocol as 'tcp' | 'udp',
            hostIp: dualStack(b) ? '' : b.HostIp,
            hostPort: Number(b.HostPort),
            containerIp: record.portTargetIp!,
            containerPort: Number(port),
          }),
        );
      } catch (err) {
        log.warn(`restoring published port ${b.HostIp}:${b.HostPort}: ${(err as Error).message}`, { container: record.id });
      }
    }
  }
  return opened;
}
