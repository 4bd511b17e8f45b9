// Where a Docker Engine API answers, when it is a place plain node:http can reach: a unix socket, or
// tcp:// without TLS. DOCKER_HOST is read as docker-modem (dockerode's transport) reads it, so both
// clients talk to the same engine; what only dockerode can speak (ssh://, TLS, a named pipe, a path
// prefix) gives no endpoint, and the caller then uses dockerode for everything.
import { accessSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type EngineEndpoint = { socketPath: string } | { host: string; port: number };

/** Docker Desktop's per-user socket when it exists, else the system one (docker-modem's default). */
function defaultSocket(): string {
  const userSocket = path.join(os.homedir(), '.docker', 'run', 'docker.sock');
  try {
    accessSync(userSocket);
    return userSocket;
  } catch {
    return '/var/run/docker.sock';
  }
}

/** The endpoint DOCKER_HOST names; undefined when reaching it needs dockerode (ssh, TLS, npipe, path prefix). */
export function dockerHostEndpoint(env: NodeJS.ProcessEnv = process.env): EngineEndpoint | undefined {
  const host = env.DOCKER_HOST;
  if (!host) return { socketPath: defaultSocket() };
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) || defaultSocket() };
  if (host.startsWith('npipe://')) return undefined;
  let url: URL;
  try {
    url = new URL(host.includes('//') ? host : `tcp://${host}`);
  } catch {
    return undefined; // dockerode words the error
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:') return undefined; // ssh:, https:
  // docker-modem switches to https on any of these, and reads certificates from DOCKER_CERT_PATH
  if (env.DOCKER_TLS_VERIFY === '1' || url.port === '2376' || env.DOCKER_CERT_PATH) return undefined;
  if (env.DOCKER_PATH_PREFIX && env.DOCKER_PATH_PREFIX !== '/') return undefined;
  if (!url.port) return undefined; // docker-modem would send no port either: leave it its behaviour
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) };
}
