// Published ports as a userland proxy in the daemon (like docker-proxy): a listener on the host address
// and port that relays every TCP connection or UDP flow to the container's address.
import dgram from 'node:dgram';
import net from 'node:net';
import type { PortProtocol } from './port-bindings.js';

export interface ProxySpec {
  protocol: PortProtocol;
  hostIp: string; // "" or 0.0.0.0 = every address
  hostPort: number; // 0 = any free port
  containerIp: string;
  containerPort: number;
}

export interface OpenProxy {
  protocol: PortProtocol;
  hostIp: string;
  hostPort: number;
  /** listening on `::` for IPv6 and IPv4 alike (a binding on every address): reported as 0.0.0.0 and ::, as Docker does */
  dualStack?: boolean;
  close(): Promise<void>;
}

export class PortAllocatedError extends Error {
  constructor(
    readonly hostIp: string,
    readonly hostPort: number,
  ) {
    super(`Bind for ${hostIp}:${hostPort} failed: port is already allocated`);
  }
}

const UDP_FLOW_IDLE_MS = 60_000;

// Every proxy this process has open, so a restored engine can take over its predecessor's listeners.
const openProxies = new Map<string, OpenProxy>();
const proxyKey = (protocol: string, hostIp: string, port: number) => `${protocol}:${hostIp}:${port}`;

/** Opens the proxy for a binding restored after an engine restart, replacing one this process still holds. */
export async function reopenProxy(spec: ProxySpec): Promise<OpenProxy> {
  await openProxies.get(proxyKey(spec.protocol, spec.hostIp || '0.0.0.0', spec.hostPort))?.close();
  return openProxy(spec);
}

export async function openProxy(spec: ProxySpec): Promise<OpenProxy> {
  const hostIp = spec.hostIp || '0.0.0.0';
  try {
    const proxy = spec.protocol === 'tcp' ? await openTcpAnyFamily(spec, hostIp) : await openUdpAnyFamily(spec, hostIp);
    const key = proxyKey(proxy.protocol, hostIp, proxy.hostPort);
    openProxies.set(key, proxy);
    const close = proxy.close;
    proxy.close = async () => {
      if (openProxies.get(key) === proxy) openProxies.delete(key);
      await close();
    };
    return proxy;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortAllocatedError(hostIp, spec.hostPort);
    throw err;
  }
}

/** Tries each port of the range in turn; a range where every port is taken is reported like one taken port. */
export async function openProxyInRange(spec: Omit<ProxySpec, 'hostPort'>, from: number, to: number): Promise<OpenProxy> {
  let lastError: unknown;
  for (let port = from; port <= to; port++) {
    try {
      return await openProxy({ ...spec, hostPort: port });
    } catch (err) {
      if (!(err instanceof PortAllocatedError)) throw err;
      lastError = err;
    }
  }
  if (from !== to) throw new PortAllocatedError(spec.hostIp || '0.0.0.0', from === 0 ? 0 : from);
  throw lastError;
}

/** No host address given: listen on IPv6 and IPv4 alike (`::`, dual stack), or IPv4 only without IPv6. */
async function openTcpAnyFamily(spec: ProxySpec, hostIp: string): Promise<OpenProxy> {
  if (spec.hostIp !== '') return openTcp(spec, hostIp, hostIp);
  try {
    return { ...(await openTcp(spec, '::', hostIp)), dualStack: true };
  } catch (err) {
    if (!noIPv6(err)) throw err;
    return openTcp(spec, '0.0.0.0', hostIp);
  }
}

const noIPv6 = (err: unknown) => ['EAFNOSUPPORT', 'EADDRNOTAVAIL'].includes((err as NodeJS.ErrnoException).code ?? '');

/** The same for UDP: one dual-stack socket on `::` when no host address is given. */
async function openUdpAnyFamily(spec: ProxySpec, hostIp: string): Promise<OpenProxy> {
  if (spec.hostIp !== '') return openUdp(spec, hostIp, hostIp);
  try {
    return { ...(await openUdp(spec, '::', hostIp)), dualStack: true };
  } catch (err) {
    if (!noIPv6(err)) throw err;
    return openUdp(spec, '0.0.0.0', hostIp);
  }
}

function openTcp(spec: ProxySpec, listenIp: string, hostIp: string): Promise<OpenProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(spec.containerPort, spec.containerIp);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.end());
    upstream.on('close', () => client.end());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: listenIp, port: spec.hostPort, exclusive: true, ipv6Only: false }, () => {
      server.off('error', reject);
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        protocol: 'tcp',
        hostIp,
        hostPort: port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

function openUdp(spec: ProxySpec, listenIp: string, hostIp: string): Promise<OpenProxy> {
  const server = dgram.createSocket({ type: listenIp.includes(':') ? 'udp6' : 'udp4', reuseAddr: false, ipv6Only: false });
  const flows = new Map<string, { socket: dgram.Socket; timer: NodeJS.Timeout }>();
  const endFlow = (key: string) => {
    const flow = flows.get(key);
    if (!flow) return;
    clearTimeout(flow.timer);
    flow.socket.close();
    flows.delete(key);
  };
  server.on('message', (msg, from) => {
    const key = `${from.address}:${from.port}`;
    let flow = flows.get(key);
    if (!flow) {
      const socket = dgram.createSocket('udp4');
      socket.on('message', (reply) => server.send(reply, from.port, from.address));
      socket.on('error', () => endFlow(key));
      flow = { socket, timer: setTimeout(() => endFlow(key), UDP_FLOW_IDLE_MS) };
      flows.set(key, flow);
    }
    flow.timer.refresh();
    flow.socket.send(msg, spec.containerPort, spec.containerIp);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.bind({ address: listenIp, port: spec.hostPort, exclusive: true }, () => {
      server.off('error', reject);
      server.on('error', () => undefined);
      resolve({
        protocol: 'udp',
        hostIp,
        hostPort: server.address().port,
        close: () =>
          new Promise<void>((done) => {
            for (const key of [...flows.keys()]) endFlow(key);
            server.close(() => done());
          }),
      });
    });
  });
}
