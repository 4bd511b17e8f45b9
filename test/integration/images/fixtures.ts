// Test images made with the real Docker Engine (busybox from the host, no registry) and tarballs made with tar-stream.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { busyboxContext } from '../../helpers/busybox-image.js';

export const uniqueName = (area = 'img') => `tsc-${area}-${randomBytes(4).toString('hex')}`;

function docker(args: string[], input?: Buffer): string {
  const r = spawnSync('docker', args, { input, encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Builds a busybox image on the host dockerd and writes `docker save` of it to `file`; removes it from dockerd. */
export function dockerSaveBusybox(tag: string, file: string, extraLines: string[] = []): void {
  const ctx = busyboxContext(extraLines);
  try {
    docker(['build', '-q', '-t', tag, ctx]);
    docker(['save', '-o', file, tag]);
  } finally {
    spawnSync('docker', ['rmi', '-f', tag]);
    fs.rmSync(ctx, { recursive: true, force: true });
  }
}

/** An OCI image layout archive converted from a docker save archive by skopeo. */
export function ociArchiveFrom(dockerArchive: string, file: string, name: string): void {
  const r = spawnSync('skopeo', ['copy', '--quiet', `docker-archive:${dockerArchive}`, `oci-archive:${file}:${name}`], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`skopeo failed: ${r.stderr}`);
}

export { tarball } from '../../helpers/tarball.js';

export const tempDir = (prefix = 'tsc-img-') => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
