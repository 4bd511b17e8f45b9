// OCI image-spec and Docker schema 2 document shapes and media types.
import type { ImageRuntimeConfig } from '../contracts.js';

export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
  author?: string;
}

/** The image config JSON (OCI image config, which Docker's is a superset of). */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: ImageRuntimeConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
  comment?: string;
}

export const isIndexMediaType = (mt: string | undefined): boolean => mt === MediaType.ociIndex || mt === MediaType.dockerManifestList;

/** Docker's names for the host: x64 → amd64, arm64 stays. */
export function hostPlatform(): Platform {
  const arch =
    (
      { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<
        string,
        string
      >
    )[process.arch] ?? process.arch;
  return { architecture: arch, os: 'linux', ...(arch === 'arm64' ? { variant: 'v8' } : {}) };
}

/** Picks the host's manifest from an index (exact variant preferred, any variant accepted). */
export function pickPlatform(index: ImageIndex, want: Platform = hostPlatform()): Descriptor | undefined {
  const candidates = index.manifests.filter(
    (m) => !m.platform || (m.platform.os === want.os && m.platform.architecture === want.architecture),
  );
  return candidates.find((m) => m.platform?.variant === want.variant) ?? candidates.find((m) => m.platform) ?? candidates[0];
}

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
export const CONTAINERD_NAME_ANNOTATION = 'io.containerd.image.name';
