// `POST /images/create?fromSrc=-`: a rootfs tarball (plain, gzip or zstd) becomes a one-layer image.
import type { Readable } from 'node:stream';
import type { ImageRuntimeConfig } from '../contracts.js';
import { ingestLayer } from './layer-ingest.js';
import { hostPlatform, type ImageConfig } from './oci.js';
import type { ImageStore, StoredImage } from './store.js';

export interface ImportOptions {
  names: string[];
  message?: string;
  config?: ImageRuntimeConfig; // from `changes`
}

export async function importRootfs(store: ImageStore, source: Readable, opts: ImportOptions): Promise<StoredImage> {
  const { descriptor, diffID } = await ingestLayer(store, source);
  const created = new Date().toISOString();
  const platform = hostPlatform();
  const config: ImageConfig = {
    created,
    architecture: platform.architecture,
    os: platform.os,
    config: opts.config ?? {},
    rootfs: { type: 'layers', diff_ids: [diffID] },
    history: [{ created, created_by: 'tscompose import', ...(opts.message ? { comment: opts.message } : {}) }],
    ...(opts.message ? { comment: opts.message } : {}),
  };
  return store.commit(config, [descriptor], opts.names);
}
