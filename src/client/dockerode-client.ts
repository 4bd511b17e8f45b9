// The dockerode side of the client: what the plain JSON client (http-engine-client.ts) hands over —
// streams, hijacked connections, builds and pulls — and every call when DOCKER_HOST is ssh:// or TLS.
// Imported with a dynamic import() so that dockerode (~340 KB of the bundle) is parsed only by the
// commands that make such a call.
import Docker from 'dockerode';
import { DockerEngineClient } from './docker-engine-client.js';

/** A dockerode client for the engine's socket, or for DOCKER_HOST (as docker-modem reads it) without one. */
export function openDockerode(socketPath?: string): Docker {
  return socketPath ? new Docker({ socketPath }) : new Docker();
}

export function dockerodeEngineClient(docker: Docker): DockerEngineClient {
  return new DockerEngineClient(docker);
}
