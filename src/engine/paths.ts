// Where the bundled engine keeps its state. One root; each subsystem owns one folder below it.
import path from 'node:path';

export const DEFAULT_STATE_ROOT = '/var/lib/tscompose';
export const DEFAULT_SOCKET = '/run/tscompose/engine.sock';

export interface EnginePaths {
  root: string;
  images: string; // OCI image layout (blobs/sha256, index.json) + unpacked layers
  layers: string; // one directory per unpacked layer (by diffID), used as overlayfs lower dirs
  containers: string; // one directory per container: config, state, bundle, upper/work dirs, logs
  volumes: string; // one directory per named volume
  networks: string; // network state
  execs: string; // one record per exec instance, so that execs outlive an engine restart
  buildCache: string;
  tmp: string;
  log: string; // the engine's own log (rotated)
  output: string; // stdout and stderr of an engine started in the background: its start-up and a crash's trace
  lock: string;
}

export function enginePaths(root = DEFAULT_STATE_ROOT): EnginePaths {
  return {
    root,
    images: path.join(root, 'images'),
    layers: path.join(root, 'layers'),
    containers: path.join(root, 'containers'),
    volumes: path.join(root, 'volumes'),
    networks: path.join(root, 'networks'),
    execs: path.join(root, 'execs'),
    buildCache: path.join(root, 'build-cache'),
    tmp: path.join(root, 'tmp'),
    log: path.join(root, 'engine.log'),
    output: path.join(root, 'engine.out'),
    lock: path.join(root, 'engine.lock'),
  };
}
