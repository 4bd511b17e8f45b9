// Registry credentials: the X-Registry-Auth header (docker CLI, dockerode), else ~/.docker/config.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Credentials {
  username?: string;
  password?: string;
  identityToken?: string;
  registryToken?: string;
}

/** Docker's header: base64url(JSON {username, password, serveraddress, identitytoken, registrytoken}). */
export function fromRegistryAuthHeader(header: string | undefined): Credentials | undefined {
  if (!header) return undefined;
  try {
    const json = JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as Record<string, string>;
    const creds: Credentials = {
      username: json.username || undefined,
      password: json.password || undefined,
      identityToken: json.identitytoken || undefined,
      registryToken: json.registrytoken || undefined,
    };
    return Object.values(creds).some(Boolean) ? creds : undefined;
  } catch {
    return undefined;
  }
}

const configKeys = (domain: string): string[] =>
  domain === 'docker.io'
    ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io']
    : [domain, `https://${domain}`, `http://${domain}`];

/** auths[registry].auth (base64 "user:password") or username/password/identitytoken from config.json. */
export function fromDockerConfig(
  domain: string,
  configDir = process.env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker'),
): Credentials | undefined {
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }> };
  try {
    config = JSON.parse(fs.readFileSync(path.join(configDir, 'config.json'), 'utf8'));
  } catch {
    return undefined;
  }
  for (const key of configKeys(domain)) {
    const entry = config.auths?.[key] ?? config.auths?.[key.replace(/\/$/, '')];
    if (!entry) continue;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username || entry.identitytoken)
      return { username: entry.username, password: entry.password, identityToken: entry.identitytoken };
  }
  return undefined;
}

/** The build endpoint's X-Registry-Config header: base64(JSON {registry: {username, password, …}}). */
export function fromRegistryConfigHeader(header: string | undefined, domain: string): Credentials | undefined {
  if (!header) return undefined;
  let map: Record<string, Record<string, string>>;
  try {
    map = JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  for (const key of configKeys(domain)) {
    const entry = map?.[key];
    if (entry && (entry.username || entry.identitytoken))
      return { username: entry.username, password: entry.password, identityToken: entry.identitytoken };
  }
  return undefined;
}

/** Docker's AuthConfig (the JSON an X-Registry-Auth header carries) for the registry `domain` from
 *  ~/.docker/config.json, as the docker CLI sends it; undefined when the file has no entry for it. */
export function authConfigFor(domain: string, configDir?: string): Record<string, string> | undefined {
  const creds = fromDockerConfig(domain, configDir);
  if (!creds) return undefined;
  return {
    ...(creds.username ? { username: creds.username } : {}),
    ...(creds.password ? { password: creds.password } : {}),
    ...(creds.identityToken ? { identitytoken: creds.identityToken } : {}),
    serveraddress: domain === 'docker.io' ? 'https://index.docker.io/v1/' : domain,
  };
}
